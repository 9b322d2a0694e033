/*
 * privdrop.c - switch user, keep two capabilities, allow-list the system
 * calls (libcap-ng, libseccomp).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <linux/capability.h>

#include <cap-ng.h>
#include <seccomp.h>

#include "gapwatch.h"
#include "privdrop.h"

/* The name of uid into buf, or "uid N" when it has none. */
static void user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *found = NULL;
	char pwbuf[4096];

	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &found) == 0 &&
	    found != NULL)
		snprintf(buf, len, "%s", pw.pw_name);
	else
		snprintf(buf, len, "uid %u", (unsigned int)uid);
}

int priv_plan(struct priv *p, const char *user, unsigned int keep,
	      char *err, size_t errlen)
{
	struct passwd pw, *found = NULL;
	char buf[4096];
	int rc;

	memset(p, 0, sizeof(*p));
	p->keep = keep;
	if (geteuid() != 0) {
		/* Nobody to switch to without CAP_SETUID, and no need: the
		 * one who started us chose the user. */
		p->mode = PRIV_NOT_ROOT;
		p->uid = getuid();
		p->gid = getgid();
		user_name(p->uid, p->user, sizeof(p->user));
		p->other_user = strcmp(p->user, user) != 0;
		return 0;
	}
	rc = getpwnam_r(user, &pw, buf, sizeof(buf), &found);
	if (rc != 0) {
		snprintf(err, errlen, "--user %s: cannot look the user up: %s",
			 user, strerror(rc));
		return -1;
	}
	if (found == NULL) {
		snprintf(err, errlen, "--user %s: no such user (create it: "
			 "useradd --system --no-create-home --shell "
			 "/usr/sbin/nologin %s; or --user root, not recommended)",
			 user, user);
		return -1;
	}
	p->mode = pw.pw_uid == 0 ? PRIV_KEEP_ROOT : PRIV_SWITCH;
	p->uid = pw.pw_uid;
	p->gid = pw.pw_gid;
	snprintf(p->user, sizeof(p->user), "%s", pw.pw_name);
	return 0;
}

/* capng_change_id()'s failures, by its return value (capng_change_id(3)). */
static const char *change_id_step(int rc)
{
	static const char *const steps[] = {
		[1] = "libcap-ng was not initialised",
		[2] = "keeping capabilities across the uid change",
		[3] = "applying the intermediate capabilities",
		[4] = "changing the gid",
		[5] = "dropping the supplementary groups",
		[6] = "changing the uid",
		[7] = "ending the keeping of capabilities",
		[8] = "clearing the bounding set",
		[9] = "dropping CAP_SETPCAP or the ambient set",
		[10] = "setting the supplementary groups",
	};

	if (rc < 0 && -rc < (int)GW_ARRAY_SIZE(steps) && steps[-rc] != NULL)
		return steps[-rc];
	return "an unknown step";
}

/* The run's capabilities into libcap-ng's state: all sets emptied, then
 * CAP_NET_ADMIN (+ CAP_NET_RAW) permitted and effective. */
static int want_caps(const struct priv *p)
{
	capng_clear(CAPNG_SELECT_ALL);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
			 CAP_NET_ADMIN) < 0)
		return -1;
	if ((p->keep & PRIV_NET_RAW) &&
	    capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
			 CAP_NET_RAW) < 0)
		return -1;
	return 0;
}

static const char *caps_text(const struct priv *p)
{
	return (p->keep & PRIV_NET_RAW) ? "CAP_NET_ADMIN and CAP_NET_RAW" :
					  "CAP_NET_ADMIN";
}

static int switch_user(const struct priv *p, char *err, size_t errlen)
{
	int rc;

	if (want_caps(p) < 0) {
		snprintf(err, errlen, "cannot prepare the capability set");
		return -1;
	}
	/* setgid, setgroups, setuid with the capabilities kept across, then
	 * the set above applied and the bounding and ambient sets emptied
	 * (no later exec could regain anything). */
	errno = 0;
	rc = capng_change_id((int)p->uid, (int)p->gid, CAPNG_DROP_SUPP_GRP |
			     CAPNG_CLEAR_BOUNDING | CAPNG_CLEAR_AMBIENT);
	if (rc < 0) {
		snprintf(err, errlen, "cannot switch to user %s (uid %u, gid %u) "
			 "keeping %s: %s failed%s%s", p->user,
			 (unsigned int)p->uid, (unsigned int)p->gid,
			 caps_text(p), change_id_step(rc), errno ? ": " : "",
			 errno ? strerror(errno) : "");
		return -1;
	}
	return 0;
}

static int reduce_caps(const struct priv *p, char *err, size_t errlen)
{
	capng_select_t sets = CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT;

	if (capng_get_caps_process() < 0) {
		snprintf(err, errlen, "cannot read this process's capabilities: "
			 "%s", strerror(errno));
		return -1;
	}
	/* Emptying the bounding set needs CAP_SETPCAP; without it the set
	 * stays as given (no_new_privs keeps it from mattering). */
	if (capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP))
		sets |= CAPNG_SELECT_BOUNDS;
	if (want_caps(p) < 0 || capng_apply(sets) < 0) {
		snprintf(err, errlen, "running as %s (not started as root): "
			 "cannot reduce the capabilities to %s: %s", p->user,
			 caps_text(p), strerror(errno));
		return -1;
	}
	return 0;
}

int priv_drop(const struct priv *p, char *err, size_t errlen)
{
	int rc = 0;

	switch (p->mode) {
	case PRIV_SWITCH:
		rc = switch_user(p, err, errlen);
		break;
	case PRIV_NOT_ROOT:
		rc = reduce_caps(p, err, errlen);
		break;
	case PRIV_KEEP_ROOT:
		break;
	}
	if (rc < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "cannot set no_new_privs: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

const char *priv_describe(const struct priv *p, char *buf, size_t len)
{
	char *caps = NULL;

	if (capng_get_caps_process() == 0)
		caps = capng_print_caps_text(CAPNG_PRINT_BUFFER,
					     CAPNG_EFFECTIVE);
	snprintf(buf, len, "user %s (uid %u, gid %u), capabilities %s",
		 p->user, (unsigned int)getuid(), (unsigned int)getgid(),
		 caps ? caps : "unknown");
	free(caps);
	return buf;
}

/*
 * What the running daemon calls, and nothing else (strace -f of the live
 * scenarios after set-up): the verdict loops (recvmsg, sendmsg, poll),
 * the correlator (conntrack queries; with --probe, raw sockets opened and
 * closed at run time, their sends and receives), the report writer
 * (reopened on SIGHUP), the pcap store (write, unlink, directory scan),
 * the /proc queue counters, threads, memory, time, signals, syslog.
 */
static const int allowed_calls[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(pread64),
	SCMP_SYS(pwrite64), SCMP_SYS(openat), SCMP_SYS(open), SCMP_SYS(close),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(lseek),
	SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(ftruncate),
	SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(getdents64),
	/* --metrics-textfile: written aside, then renamed into place. */
	SCMP_SYS(rename), SCMP_SYS(renameat), SCMP_SYS(renameat2),
	SCMP_SYS(fcntl),
	SCMP_SYS(socket), SCMP_SYS(connect), SCMP_SYS(bind),
	/* --metrics: libmicrohttpd's thread takes the scrapes. */
	SCMP_SYS(accept4), SCMP_SYS(accept), SCMP_SYS(listen), SCMP_SYS(shutdown),
	SCMP_SYS(getsockname), SCMP_SYS(setsockopt), SCMP_SYS(getsockopt),
	SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(sendmmsg),
	SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(recvmmsg),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_create1),
	SCMP_SYS(eventfd2), SCMP_SYS(pipe2), SCMP_SYS(select),
	SCMP_SYS(pselect6),
	SCMP_SYS(futex), SCMP_SYS(clone), SCMP_SYS(clone3),
	SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(sched_yield),
	SCMP_SYS(madvise), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(mprotect), SCMP_SYS(brk),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(getrusage),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigtimedwait), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(tgkill), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(getrandom), SCMP_SYS(exit), SCMP_SYS(exit_group),
	/* The host name of the records (gethostname). */
	SCMP_SYS(uname),
	SCMP_SYS(restart_syscall),
};

int priv_confine(char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	size_t k;
	int rc = -ENOMEM;

	if (ctx == NULL)
		goto fail;
	/* The kernel logs what it kills for (audit, dmesg): the operator
	 * sees which call is missing. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
	for (k = 0; rc == 0 && k < GW_ARRAY_SIZE(allowed_calls); k++) {
		/* A call this architecture lacks (open on arm64) is
		 * __NR_SCMP_ERROR: skipped. */
		if (allowed_calls[k] < 0)
			continue;
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed_calls[k], 0);
	}
	/* stdio asks whether a report on a character device is a terminal
	 * (isatty); no other ioctl. */
	if (rc == 0) {
		/* Spelled out: SCMP_A1() leaves datum_b to the compiler,
		 * which clang's -Wextra names. */
		const struct scmp_arg_cmp is_tcgets = {
			.arg = 1, .op = SCMP_CMP_EQ, .datum_a = TCGETS,
			.datum_b = 0,
		};

		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				      is_tcgets);
	}
	if (rc == 0) {
		/* libmicrohttpd names its thread (--metrics); no other
		 * prctl. */
		const struct scmp_arg_cmp is_set_name = {
			.arg = 0, .op = SCMP_CMP_EQ, .datum_a = PR_SET_NAME,
			.datum_b = 0,
		};

		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				      is_set_name);
	}
	if (rc == 0)
		rc = seccomp_load(ctx);
	if (rc < 0)
		goto fail;
	seccomp_release(ctx);
	return 0;
fail:
	snprintf(err, errlen, "--seccomp: cannot install the system-call "
		 "allow-list: %s", strerror(-rc));
	seccomp_release(ctx);
	return -1;
}
