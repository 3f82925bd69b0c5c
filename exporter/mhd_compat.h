/*
 * mhd_compat.h - libmicrohttpd version differences, in one place.
 *
 * Since 0.9.71 callbacks return enum MHD_Result instead of int; 0.9.74
 * renamed MHD_HTTP_PAYLOAD_TOO_LARGE and deprecated the old name; 0.9.73
 * added buffer responses whose free callback takes a closure.
 */
#ifndef KVMMEM_MHD_COMPAT_H
#define KVMMEM_MHD_COMPAT_H

#include <microhttpd.h>

#if MHD_VERSION >= 0x00097002
typedef enum MHD_Result mhd_result;
#else
typedef int mhd_result;
#endif

/* 0.9.73: a buffer response whose free callback gets a closure. */
#if MHD_VERSION >= 0x00097302
#define HAVE_MHD_BUFFER_FREE_CLS 1
#else
#define HAVE_MHD_BUFFER_FREE_CLS 0
#endif

#ifdef MHD_HTTP_CONTENT_TOO_LARGE
#define HTTP_STATUS_CONTENT_TOO_LARGE MHD_HTTP_CONTENT_TOO_LARGE
#else
#define HTTP_STATUS_CONTENT_TOO_LARGE MHD_HTTP_PAYLOAD_TOO_LARGE
#endif

#endif
