/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "viv-cgroup.h"
#include "viv-template.h"

G_BEGIN_DECLS

typedef enum
{
  VIV_SANDBOX_RUNNING,
  VIV_SANDBOX_PAUSED,
} VivSandboxState;

#define VIV_TYPE_SANDBOX (viv_sandbox_get_type ())
G_DECLARE_FINAL_TYPE (VivSandbox, viv_sandbox, VIV, SANDBOX, GObject)

/* One sandbox: a bubblewrap jail whose supervisor is vivarium-guest. Everything
 * about it lives in its directory, STATE/sandboxes/<id>/, so that a restarted
 * host can adopt it:
 *   sandbox.json  what the control plane reports, the jail's pid and start time
 *   fs/           the private writable layer (home, tmp, var, root, run)
 *   run/          bound at /run/vivarium: the guest's socket and token
 *   guest.log     the guest's stdout and stderr */
struct _VivSandbox
{
  GObject          parent_instance;

  char            *id;
  char            *template_id;
  char            *alias;
  char            *access_token;
  char            *envd_version;
  char            *dir;
  char            *socket_path;
  JsonObject      *metadata;      /* string -> string */
  JsonObject      *env_vars;      /* string -> string */

  gint64           started_at;    /* real time, µs */
  gint64           end_at;        /* real time, µs */
  gboolean         auto_pause;
  gboolean         auto_resume;
  gboolean         allow_internet;
  int              cpu_count;
  int              memory_mb;
  int              disk_mb;

  VivSandboxState  state;
  gboolean         busy;          /* pausing, resuming or being killed: 409 */
  VivFreezer       freezer;       /* how pause stops it, fixed at creation */

  GSubprocess     *process;       /* bwrap, when we started it (not adopted) */
  GPid             pid;           /* bwrap, outside the namespaces */
  guint64          pid_start_time; /* field 22 of /proc/<pid>/stat */
  GStrv            cgroups;       /* absolute cgroup directories we created */

  /* For cpuUsedPct: the previous sample. */
  guint64          last_cpu_ns;
  gint64           last_cpu_time;
};

VivSandbox *viv_sandbox_new               (const char     *sandboxes_dir,
                                           VivTemplate    *template);
VivSandbox *viv_sandbox_load              (const char     *dir,
                                           GError        **error);
gboolean    viv_sandbox_save              (VivSandbox     *self,
                                           GError        **error);

/* Prepares the directory and writable layer and starts the jail. */
gboolean    viv_sandbox_spawn             (VivSandbox     *self,
                                           VivTemplate    *template,
                                           const char     *guest_binary,
                                           GError        **error);
/* Whether the jail's pid is alive and is still the process we started. */
gboolean    viv_sandbox_is_alive          (VivSandbox     *self);

/* Pids of every process of the sandbox (from the freezer cgroup, or the
 * process tree under bwrap). */
GArray     *viv_sandbox_list_pids         (VivSandbox     *self);

/* Freezing and killing touch cgroupfs and /proc: done in a worker thread. */
void        viv_sandbox_set_frozen_async  (VivSandbox          *self,
                                           gboolean             frozen,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean    viv_sandbox_set_frozen_finish (VivSandbox          *self,
                                           GAsyncResult        *result,
                                           GError             **error);
/* Kills every process, removes the cgroups and the directory. */
void        viv_sandbox_destroy_async     (VivSandbox          *self,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean    viv_sandbox_destroy_finish    (VivSandbox          *self,
                                           GAsyncResult        *result,
                                           GError             **error);

/* Waits until the guest answers GET /health on its socket. */
void        viv_sandbox_wait_ready_async  (VivSandbox          *self,
                                           guint                timeout_ms,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean    viv_sandbox_wait_ready_finish (VivSandbox          *self,
                                           GAsyncResult        *result,
                                           GError             **error);

/* The control plane's JSON: Sandbox (create/connect), ListedSandbox or SandboxDetail. */
JsonObject *viv_sandbox_to_sandbox_json   (VivSandbox     *self,
                                           const char     *domain);
JsonObject *viv_sandbox_to_listed_json    (VivSandbox     *self,
                                           gboolean        detail,
                                           const char     *domain);
/* One SandboxMetric, measured now. */
JsonObject *viv_sandbox_sample_metric     (VivSandbox     *self);
/* The last lines of guest.log as log entries. */
JsonArray  *viv_sandbox_read_logs         (VivSandbox     *self,
                                           guint           limit);

const char *viv_sandbox_state_to_string   (VivSandboxState state);
char       *viv_sandbox_generate_id       (void);
char       *viv_format_time               (gint64          realtime_us);

G_END_DECLS
