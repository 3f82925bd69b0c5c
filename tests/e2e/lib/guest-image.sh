# guest-image.sh - the guest kernel and initramfs, built from Debian packages
# and cached outside the repository between runs.  Sourced by run.sh.
#
# The kernel is Debian's cloud flavour because it is small and builds the
# virtio transport and balloon as modules, which a busybox /init can load
# without udev.  The initramfs is rebuilt when its inputs (the kernel
# package, busybox, the /init text) change; the stamp file records them.

# Modules in dependency order: bookworm ships no modules.dep we could use
# from busybox insmod, and insmod does not resolve dependencies.
E2E_GUEST_MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_balloon"

# The guest's /init.  fill=<MiB> on the kernel command line writes that
# much of one repeated non-zero line to tmpfs, so several guests hold
# identical pages KSM can merge (zero pages would count differently when
# use_zero_pages is set).  The READY line tells the harness the balloon
# driver is bound.
guest_init_text() {
	cat <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o size=80% tmpfs /run
for m in @MODULES@; do
	insmod /lib/modules/$m.ko || echo "KVMMEM-E2E: insmod $m failed"
done
fill=0
for arg in $(cat /proc/cmdline); do
	case $arg in fill=*) fill=${arg#fill=} ;; esac
done
[ "$fill" -gt 0 ] && yes kvmmem-e2e-identical-page-content | head -c $((fill * 1048576)) >/run/fill
bound=$(ls /sys/bus/virtio/drivers/virtio_balloon 2>/dev/null | grep -c '^virtio')
echo "KVMMEM-E2E-READY balloon=$bound uptime=$(cut -d' ' -f1 /proc/uptime)" >/dev/console
while :; do sleep 3600; done
INIT
}

# Prints the versioned package linux-image-cloud-amd64 depends on now; its
# ABI number changes with Debian point releases.
guest_kernel_package() {
	apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

# guest_image_build CACHE_DIR: makes CACHE_DIR/vmlinuz and
# CACHE_DIR/initrd.img readable by everyone.  Needs root (apt-get
# download, dpkg -x).  Returns non-zero with a message on failure.
guest_image_build() {
	local cache=$1 kpkg kver stamp work mdir m
	mkdir -p "$cache" && chmod 0755 "$cache" || return 1
	kpkg=$(guest_kernel_package)
	if [ -z "$kpkg" ]; then
		apt-get -o DPkg::Lock::Timeout=900 update >/dev/null 2>&1
		kpkg=$(guest_kernel_package)
	fi
	[ -n "$kpkg" ] || { echo "cannot resolve linux-image-cloud-amd64 with apt-cache" >&2; return 1; }
	kver=${kpkg#linux-image-}
	stamp="$kpkg $(busybox 2>&1 | head -n1) $(guest_init_text | cksum)"
	if [ -s "$cache/vmlinuz" ] && [ -s "$cache/initrd.img" ] && [ "$(cat "$cache/stamp" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	work=$(mktemp -d "$cache/build.XXXXXX") || return 1
	(
		set -e
		cd "$work"
		apt-get download "$kpkg" >download.log 2>&1 || { cat download.log >&2; exit 1; }
		dpkg -x "$kpkg"_*.deb root
		mkdir -p initrd/bin initrd/lib/modules
		mdir="root/lib/modules/$kver/kernel/drivers/virtio"
		for m in $E2E_GUEST_MODULES; do
			# Later kernels compress modules; busybox insmod wants them plain.
			if [ -f "$mdir/$m.ko" ]; then
				cp "$mdir/$m.ko" initrd/lib/modules/
			elif [ -f "$mdir/$m.ko.xz" ]; then
				xz -dc "$mdir/$m.ko.xz" >"initrd/lib/modules/$m.ko"
			elif [ -f "$mdir/$m.ko.zst" ]; then
				zstd -qdc "$mdir/$m.ko.zst" >"initrd/lib/modules/$m.ko"
			else
				echo "module $m missing from $kpkg" >&2
				exit 1
			fi
		done
		cp /bin/busybox initrd/bin/busybox
		guest_init_text | sed "s/@MODULES@/$E2E_GUEST_MODULES/" >initrd/init
		chmod 0755 initrd/init
		# busybox's own cpio, so the host needs no cpio package.
		(cd initrd && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >initrd.img
		install -m 0644 "root/boot/vmlinuz-$kver" "$cache/vmlinuz"
		install -m 0644 initrd.img "$cache/initrd.img"
	) || { rm -rf "$work"; return 1; }
	rm -rf "$work"
	printf '%s\n' "$stamp" >"$cache/stamp"
}
