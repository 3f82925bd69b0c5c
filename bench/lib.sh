# lib.sh - what every case of `make bench` measures with, sourced by bench/run.sh, bench/discovery.sh and
# bench/qmp.sh (which set HZ to `getconf CLK_TCK` before calling ms).

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# utime+stime of PID in clock ticks (the comm field may hold spaces).
cpu_ticks() {
	local s
	s=$(cat "/proc/$1/stat") || return 1
	s=${s##*) }
	set -- $s
	echo $((${12} + ${13}))
}

# ms TICKS N: clock ticks as milliseconds per one of N.
ms() { awk -v t="$1" -v n="$2" -v hz="$HZ" 'BEGIN { printf "%.2f", t * 1000 / hz / n }'; }

# median: the median of the numbers on standard input (separated by spaces or lines), two decimals.
median() {
	tr ' ' '\n' | sed '/^$/d' | sort -g |
		awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
