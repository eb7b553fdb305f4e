/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How pause stops a sandbox, chosen once at host start (v1, else v2, else
 * signals) and recorded with each sandbox so that adoption keeps using it. */
typedef enum {
  VIV_FREEZER_V1,      /* freezer.state of the v1 freezer controller */
  VIV_FREEZER_V2,      /* cgroup.freeze of a cgroup v2 directory */
  VIV_FREEZER_SIGSTOP, /* SIGSTOP/SIGCONT of the whole process tree */
} VivFreezer;

const char  *viv_freezer_to_string     (VivFreezer    freezer);
gboolean     viv_freezer_from_string   (const char   *name,
                                        VivFreezer   *out);
/* The first usable mechanism, or the one VIVARIUM_HOST_FREEZER names (an
 * error when that one is not usable here). */
gboolean     viv_freezer_detect        (VivFreezer   *out,
                                        GError      **error);

/* cgroup v1: each sandbox gets <controller root>/<our own cgroup>/vivarium/<id>
 * for the freezer (pause), memory and cpu (limits) and cpuacct (metrics)
 * controllers; the ones we may not create are skipped, and the caller falls
 * back to /proc. */
/* With VIV_FREEZER_V2 the freezer is <v2 root>/<our own cgroup>/vivarium/<id>
 * instead of the v1 freezer controller. */
GStrv        viv_cgroup_create         (const char   *id,
                                        VivFreezer    freezer);
/* The directory among @cgroups that freezes with @freezer, or NULL. */
const char  *viv_cgroup_find_freezer   (const char * const *cgroups,
                                        VivFreezer    freezer);
/* The directory of @controller among @cgroups, or NULL. */
const char  *viv_cgroup_find           (const char * const *cgroups,
                                        const char   *controller);
/* The template's limits: @memory_mb MiB of memory (and of memory plus swap
 * where swap is accounted) and @cpu_count CPUs of time per period. Before
 * any task joins. An error names what could not be limited; what could was. */
gboolean     viv_cgroup_set_limits     (const char * const *cgroups,
                                        int           cpu_count,
                                        int           memory_mb,
                                        GError      **error);
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
/* Blocking: writes freezer.state (v1) or cgroup.freeze (v2) and waits until
 * the kernel reports it. */
gboolean     viv_cgroup_set_frozen     (const char   *freezer_dir,
                                        VivFreezer    freezer,
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
