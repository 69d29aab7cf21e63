/* libbpf as Debian's libbpf-dev ships it (1.1): the object/program/map/link API and the
 * raw syscall wrappers. */
#ifndef SLUICE_CLIBBPF_SHIM_H
#define SLUICE_CLIBBPF_SHIM_H
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#endif
