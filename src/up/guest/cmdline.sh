# Reads the guest's network settings from a kernel command line (the words in "$@"):
# kvmlab.ip=A.B.C.D/NN and kvmlab.gw=A.B.C.D; sets ip, gw (empty when absent).
kvmlab_parse_cmdline() {
    ip=
    gw=
    for word in "$@"; do
        case "$word" in
            kvmlab.ip=*) ip="${word#kvmlab.ip=}" ;;
            kvmlab.gw=*) gw="${word#kvmlab.gw=}" ;;
        esac
    done
}
