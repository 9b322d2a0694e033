/*
 * privdrop.h - least privilege: after set-up, gapwatchd parses packets
 * from the whole internet as an unprivileged user with only the
 * capabilities the run needs.
 *
 * The set-up phase (pid file, queues, conntrack and probe sockets, a BPF
 * program some day) runs with every privilege; then priv_drop() switches
 * user and capabilities, and only then are threads started, so that every
 * thread runs with the dropped set (capabilities, like the seccomp filter
 * of priv_confine(), are per thread: a thread started before would keep
 * root's).
 */
#ifndef GAPWATCH_PRIVDROP_H
#define GAPWATCH_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

/* What the run needs besides CAP_NET_ADMIN (verdicts, conntrack). */
#define PRIV_NET_RAW		0x01	/* --probe: raw sockets at run time */

enum priv_mode {
	PRIV_SWITCH,		/* root: become the user, keep the run's caps */
	PRIV_KEEP_ROOT,		/* --user root (uid 0): every privilege stays */
	PRIV_NOT_ROOT,		/* started unprivileged (file or ambient caps):
				 * stay that user, drop every other cap */
};

struct priv {
	enum priv_mode mode;
	uid_t uid;		/* who runs after priv_drop() */
	gid_t gid;
	unsigned int keep;	/* PRIV_* */
	char user[64];		/* the name of uid, or "uid N" */
	int other_user;		/* PRIV_NOT_ROOT: --user named someone else */
};

/*
 * priv_plan - decide what priv_drop() will do: look up user (a name; a
 * user with uid 0 is PRIV_KEEP_ROOT), unless this process is not root,
 * which makes it PRIV_NOT_ROOT whatever user says. Changes nothing yet.
 * Returns 0, or -1 with the reason in err ("no user 'gapwatch' (create it
 * ...)").
 */
int priv_plan(struct priv *p, const char *user, unsigned int keep,
	      char *err, size_t errlen);

/*
 * priv_drop - carry out the plan: PRIV_SWITCH sets the user's gid, no
 * supplementary groups, its uid, CAP_NET_ADMIN (and CAP_NET_RAW with
 * PRIV_NET_RAW) as the only permitted and effective capabilities, empty
 * inheritable, ambient and bounding sets; PRIV_NOT_ROOT keeps the uid and
 * drops every capability but those (the bounding set too if CAP_SETPCAP is
 * held); PRIV_KEEP_ROOT changes nothing. Then, in every mode,
 * no_new_privs. Call it once, from the only thread. Returns 0, or -1 with
 * the user and the cause in err; on failure the process may be partly
 * dropped: exit.
 */
int priv_drop(const struct priv *p, char *err, size_t errlen);

/*
 * priv_describe - "user gapwatch (uid 999, gid 999), capabilities
 * cap_net_admin" into buf: what this thread runs with now. Returns buf.
 */
const char *priv_describe(const struct priv *p, char *buf, size_t len);

/*
 * priv_confine - install the allow-list of the system calls the running
 * daemon makes; any other kills the process (SIGSYS; the kernel logs the
 * call's number to the audit log / dmesg). Threads started afterwards
 * inherit it. Returns 0, or -1 with the reason in err.
 */
int priv_confine(char *err, size_t errlen);

#endif
