/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <vivarium.h>

G_BEGIN_DECLS

#define VIV_TYPE_PROCESSES_RUN (viv_processes_run_get_type ())
G_DECLARE_FINAL_TYPE (VivProcessesRun, viv_processes_run, VIV, PROCESSES_RUN, GtkWidget)

VivSandbox *viv_processes_run_get_sandbox (VivProcessesRun *self);
void        viv_processes_run_set_sandbox (VivProcessesRun *self,
                                           VivSandbox      *sandbox);

G_END_DECLS
