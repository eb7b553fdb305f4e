/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "viv-connect.h"

G_BEGIN_DECLS

/* process.Process (shared/spec/e2b-wire.md §2.5). */

typedef struct
{
  gboolean use_stdin;  /* a pipe; else /dev/null */
  gboolean use_pty;    /* a pseudo-terminal on stdin, stdout and stderr */
  guint    cols;
  guint    rows;
} VivEnvdSpawnOptions;

/* Starts @argv as @user (when the guest is root: its groups, gid and uid) in
 * its own process group, or with a pty as the leader of a new session whose
 * controlling terminal is the pty. The pty's master is returned in @pty_master. */
GSubprocess *viv_envd_process_spawn    (const VivEnvdUser          *user,
                                        const char * const         *argv,
                                        const char * const         *environment,
                                        const char                 *cwd,
                                        const VivEnvdSpawnOptions  *options,
                                        GPid                       *pid,
                                        int                        *pty_master,
                                        GError                    **error);

gboolean     viv_envd_pty_set_size     (int                         pty_master,
                                        guint                       cols,
                                        guint                       rows,
                                        GError                    **error);

void         viv_envd_process_register (VivGuest                   *guest);

G_END_DECLS
