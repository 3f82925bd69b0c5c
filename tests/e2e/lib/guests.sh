# guests.sh - transient TCG guests in the sandbox's session libvirtd.
# Sourced by run.sh after sandbox.sh.
#
# Guests are transient (virsh create): a destroyed guest leaves no shut-off
# definition behind, so "destroyed" really means "gone from libvirt".

E2E_GUEST_MIB=${KVMMEM_E2E_GUEST_MIB:-256}
E2E_FILL_MIB=${KVMMEM_E2E_FILL_MIB:-32}

# guest_xml NAME PERIOD SHARE: SHARE is "share" or "nosharepages".
guest_xml() {
	local name=$1 period=$2 share=$3 backing=""
	[ "$share" = nosharepages ] && backing="<memoryBacking><nosharepages/></memoryBacking>"
	cat <<XML
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>$E2E_GUEST_MIB</memory>
  <currentMemory unit='MiB'>$E2E_GUEST_MIB</currentMemory>
  $backing
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$E2E_CACHE/vmlinuz</kernel>
    <initrd>$E2E_CACHE/initrd.img</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet fill=$E2E_FILL_MIB</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$E2E_QEMU</emulator>
    <controller type='usb' model='none'/>
    <serial type='file'><source path='$E2E_TMP/console/$name.log'/><target port='0'/></serial>
    <memballoon model='virtio'><stats period='$period'/></memballoon>
  </devices>
</domain>
XML
}

# guest_create NAME PERIOD SHARE: starts the guest, tracks its QEMU pid as
# "qemu:NAME".
guest_create() {
	local name=$1 xml="$E2E_TMP/xml/$1.xml" pid
	guest_xml "$@" >"$xml"
	chmod 0644 "$xml"
	virsh_u create "$xml" >/dev/null || return 1
	pid=$(cat "$E2E_LIBVIRT_RUN/$name.pid" 2>/dev/null)
	[ -n "$pid" ] || { echo "no pidfile for $name in $E2E_LIBVIRT_RUN" >&2; return 1; }
	track "qemu:$name" "$pid"
}

# guest_pid NAME: the QEMU pid we recorded.
guest_pid() { pid_of "qemu:$1"; }

# guest_destroy NAME
guest_destroy() {
	virsh_u destroy "$1" >/dev/null || return 1
	untrack "qemu:$1"
}

# guest_wait_ready TIMEOUT NAME...: waits for every guest's READY console
# line with its balloon driver bound.
guest_wait_ready() {
	local deadline=$(($(date +%s) + $1)) name
	shift
	for name in "$@"; do
		until grep -q 'KVMMEM-E2E-READY balloon=1' "$E2E_TMP/console/$name.log" 2>/dev/null; do
			if [ "$(date +%s)" -ge $deadline ]; then
				echo "$name did not boot in time; console:" >&2
				tail -n 20 "$E2E_TMP/console/$name.log" >&2
				return 1
			fi
			sleep 0.2
		done
		say "$name ready: $(grep -m1 KVMMEM-E2E-READY "$E2E_TMP/console/$name.log" | tr -d '\r')"
	done
}
