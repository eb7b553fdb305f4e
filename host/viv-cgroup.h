/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* cgroup v1: each sandbox gets <controller root>/<our own cgroup>/vivarium/<id>
 * for the freezer (pause), memory and cpuacct (metrics) controllers; the ones
 * we may not create are skipped, and the caller falls back to /proc. */
GStrv        viv_cgroup_create         (const char   *id);
/* The directory of @controller among @cgroups, or NULL. */
const char  *viv_cgroup_find           (const char * const *cgroups,
                                        const char   *controller);
/* Writes "0" to cgroup.procs of each of @cgroups: moves the calling process.
 * Async-signal-safe, for a child setup function; @procs_files are
 * "<dir>/cgroup.procs" paths prepared before fork. */
void         viv_cgroup_join_self      (char * const *procs_files);
GArray      *viv_cgroup_read_pids      (const char   *dir);
gboolean     viv_cgroup_read_u64       (const char   *dir,
                                        const char   *file,
                                        guint64      *out);
/* A "key value" line of a stat file, such as memory.stat's total_cache. */
gboolean     viv_cgroup_read_stat      (const char   *dir,
                                        const char   *file,
                                        const char   *key,
                                        guint64      *out);
/* Blocking: writes freezer.state and waits until the kernel reports it. */
gboolean     viv_cgroup_set_frozen     (const char   *freezer_dir,
                                        gboolean      frozen,
                                        GError      **error);
void         viv_cgroup_remove         (const char * const *cgroups);

/* /proc helpers for when no cgroup is available, and for adoption. */
gboolean     viv_proc_start_time       (GPid          pid,
                                        guint64      *start_time);
/* @root and all its descendants. */
GArray      *viv_proc_tree             (GPid          root);
/* The State: letter of /proc/<pid>/status ('R', 'S', 'T', 'D', 'Z'...), or 0. */
char         viv_proc_state            (GPid          pid);
gboolean     viv_proc_usage            (GPid          pid,
                                        guint64      *cpu_ns,
                                        guint64      *rss_bytes);

G_END_DECLS
