/*
 * The exe_file spoof attack (issue 8, item 2), for the kernel tests: an unprivileged process in
 * its own user namespace points mm->exe_file at another executable with prctl(PR_SET_MM_MAP),
 * then connects. The kernel refuses the change while the process still maps its own
 * executable, so the last steps run from a copy of spoof_tail in anonymous memory after every
 * mapping of this program is gone; they can print nothing, so the result is the exit status:
 *   0 connected, 10 EPERM, 11 another connect error, 30 munmap failed, 31 socket failed,
 *   64 + errno when prctl failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/prctl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "probe.h"

#define SPOOF_MAX_RANGES 32

struct spoof_plan {
	unsigned long start[SPOOF_MAX_RANGES];
	unsigned long length[SPOOF_MAX_RANGES];
	long count;
	struct prctl_mm_map map;
	struct sockaddr_storage addr;
	long addr_len;
	long family;
};

static inline __attribute__((always_inline)) long raw_syscall(long n, long a, long b, long c, long d, long e)
{
	long ret;
#if defined(__x86_64__)
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4) : "memory");
	ret = x0;
#else
#error "spoof_tail needs raw system calls for this architecture"
#endif
	return ret;
}

/* Runs from anonymous memory: no calls, no globals, no constants outside its own code. */
__attribute__((section("sluice_tail"), noinline, used, no_stack_protector)) void spoof_tail(struct spoof_plan *plan)
{
	long r, fd;

	for (long i = 0; i < plan->count; i++) {
		if (raw_syscall(SYS_munmap, (long)plan->start[i], (long)plan->length[i], 0, 0, 0) < 0)
			raw_syscall(SYS_exit_group, 30, 0, 0, 0, 0);
	}
	r = raw_syscall(SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, (long)&plan->map, sizeof(plan->map), 0);
	if (r < 0)
		raw_syscall(SYS_exit_group, 64 + (-r & 63), 0, 0, 0, 0);
	fd = raw_syscall(SYS_socket, plan->family, SOCK_STREAM, 0, 0, 0);
	if (fd < 0)
		raw_syscall(SYS_exit_group, 31, 0, 0, 0, 0);
	r = raw_syscall(SYS_connect, fd, (long)&plan->addr, plan->addr_len, 0, 0);
	raw_syscall(SYS_exit_group, r == 0 ? 0 : (r == -EPERM ? 10 : 11), 0, 0, 0, 0);
}

extern char __start_sluice_tail[], __stop_sluice_tail[];

/* /proc/self/stat fields the kernel checks in a PR_SET_MM_MAP request (proc(5) numbering). */
static int read_mm_fields(struct prctl_mm_map *map)
{
	char buffer[4096];
	unsigned long long field[64] = { 0 };
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n;
	char *p;

	if (!f)
		return -1;
	n = fread(buffer, 1, sizeof(buffer) - 1, f);
	fclose(f);
	buffer[n] = '\0';
	p = strrchr(buffer, ')');
	if (!p)
		return -1;
	p += 2; /* field 3 (state) starts here */
	for (int i = 3; i < 64; i++) {
		char *token = strsep(&p, " ");

		if (!token)
			break;
		field[i] = strtoull(token, NULL, 10);
	}
	memset(map, 0, sizeof(*map));
	map->start_code = field[26];
	map->end_code = field[27];
	map->start_stack = field[28];
	map->start_data = field[45];
	map->end_data = field[46];
	map->start_brk = field[47];
	map->arg_start = field[48];
	map->arg_end = field[49];
	map->env_start = field[50];
	map->env_end = field[51];
	map->brk = (unsigned long)syscall(SYS_brk, 0);
	map->exe_fd = (__u32)-1;
	return map->start_code && map->end_code ? 0 : -1;
}

/* Every mapping of this program's own file. */
static int find_own_ranges(struct spoof_plan *plan)
{
	char exe[4096], line[8192];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *f;

	if (len <= 0)
		return -1;
	exe[len] = '\0';
	f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	plan->count = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char *path = strchr(line, '/');

		if (!path || sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		path[strcspn(path, "\n")] = '\0';
		if (strcmp(path, exe) != 0 || plan->count == SPOOF_MAX_RANGES)
			continue;
		plan->start[plan->count] = lo;
		plan->length[plan->count] = hi - lo;
		plan->count++;
	}
	fclose(f);
	return plan->count > 0 ? 0 : -1;
}

int spoof_exe_and_connect(const char *as_exe, const struct probe_target *t)
{
	struct spoof_plan *plan;
	size_t size = (size_t)(__stop_sluice_tail - __start_sluice_tail);
	void *code;
	int fd = open(as_exe, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "sluice-probe: open %s: %s\n", as_exe, strerror(errno));
		return 2;
	}
	plan = mmap(NULL, sizeof(*plan), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	code = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (plan == MAP_FAILED || code == MAP_FAILED) {
		fprintf(stderr, "sluice-probe: mmap: %s\n", strerror(errno));
		return 2;
	}
	if (read_mm_fields(&plan->map) < 0 || find_own_ranges(plan) < 0) {
		fprintf(stderr, "sluice-probe: cannot read /proc/self/stat or maps\n");
		return 2;
	}
	plan->map.exe_fd = (__u32)fd;
	memcpy(&plan->addr, &t->addr, sizeof(plan->addr));
	plan->addr_len = t->len;
	plan->family = t->family;
	memcpy(code, __start_sluice_tail, size);
	if (mprotect(code, size, PROT_READ | PROT_EXEC) < 0) {
		fprintf(stderr, "sluice-probe: mprotect: %s\n", strerror(errno));
		return 2;
	}
	fflush(NULL);
	((void (*)(struct spoof_plan *))((char *)code + ((char *)spoof_tail - __start_sluice_tail)))(plan);
	return 2; /* not reached: spoof_tail exits */
}

int drop_to_nobody_in_user_namespace(void)
{
	if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0) {
		fprintf(stderr, "sluice-probe: cannot become nobody: %s\n", strerror(errno));
		return -1;
	}
	/* A setuid makes the process undumpable; an ordinary user's process is not. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	if (unshare(CLONE_NEWUSER) < 0) {
		fprintf(stderr, "sluice-probe: unshare(CLONE_NEWUSER) as nobody: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}
