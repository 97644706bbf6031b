#!/bin/busybox sh
# The Linux guest's init: busybox's applets, the virtio modules, eth0 from the command line,
# and httpd serving /www with the generated-file CGI. It then says it is ready on ttyS0.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
while read -r module; do
    insmod "/lib/modules/$module" || echo "kvmlab-linux error: insmod $module failed"
done < /etc/kvmlab/modules
. /etc/kvmlab/cmdline.sh
kvmlab_parse_cmdline $(cat /proc/cmdline)
ip link set lo up
shown=none
if [ -n "$ip" ]; then
    tries=0
    while [ ! -e /sys/class/net/eth0 ] && [ "$tries" -lt 50 ]; do
        sleep 0.1
        tries=$((tries + 1))
    done
    if ip link set eth0 up && ip addr add "$ip" dev eth0; then
        shown="${ip%/*}"
        if [ -n "$gw" ]; then
            ip route add default via "$gw" || echo "kvmlab-linux error: no route via $gw"
        fi
    else
        echo "kvmlab-linux error: cannot configure eth0 with $ip"
    fi
fi
httpd -p 80 -h /www || echo "kvmlab-linux error: httpd did not start"
echo "kvmlab-linux ready ip=$shown"
while true; do
    sleep 3600
done
