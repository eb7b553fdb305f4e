/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(VIVARIUM_INSIDE) && !defined(VIVARIUM_COMPILATION)
# error "Only <vivarium.h> can be included directly."
#endif

#include <gio/gio.h>

#include "viv-sandbox.h"

G_BEGIN_DECLS

/**
 * VivSignal:
 * @VIV_SIGNAL_SIGTERM: ask to terminate
 * @VIV_SIGNAL_SIGKILL: kill at once
 *
 * Signals envd can send to a process.
 */
typedef enum
{
  VIV_SIGNAL_SIGTERM = 15,
  VIV_SIGNAL_SIGKILL = 9,
} VivSignal;

#define VIV_TYPE_PROCESS (viv_process_get_type ())
G_DECLARE_FINAL_TYPE (VivProcess, viv_process, VIV, PROCESS, GObject)

#define VIV_TYPE_PROCESSES (viv_processes_get_type ())
G_DECLARE_FINAL_TYPE (VivProcesses, viv_processes, VIV, PROCESSES, GObject)

VivProcesses *viv_processes_new              (VivSandbox           *sandbox);
void          viv_processes_list_async       (VivProcesses         *self,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
GPtrArray    *viv_processes_list_finish      (VivProcesses         *self,
                                              GAsyncResult         *result,
                                              GError              **error);
VivProcess   *viv_processes_start            (VivProcesses         *self,
                                              const char * const   *argv,
                                              const char * const   *envs,
                                              const char           *cwd,
                                              const char           *tag,
                                              gboolean              with_stdin);
void          viv_processes_send_signal_async (VivProcesses        *self,
                                              guint                 pid,
                                              VivSignal             signal_number,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
gboolean      viv_processes_send_signal_finish (VivProcesses       *self,
                                              GAsyncResult         *result,
                                              GError              **error);

guint         viv_process_get_pid            (VivProcess           *self);
const char   *viv_process_get_tag            (VivProcess           *self);
const char   *viv_process_get_command        (VivProcess           *self);
const char * const *viv_process_get_argv     (VivProcess           *self);
const char   *viv_process_get_cwd            (VivProcess           *self);
void          viv_process_wait_async         (VivProcess           *self,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
gboolean      viv_process_wait_finish        (VivProcess           *self,
                                              GAsyncResult         *result,
                                              int                  *exit_code,
                                              GError              **error);
void          viv_process_send_input_async   (VivProcess           *self,
                                              GBytes               *data,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
gboolean      viv_process_send_input_finish  (VivProcess           *self,
                                              GAsyncResult         *result,
                                              GError              **error);
void          viv_process_send_signal_async  (VivProcess           *self,
                                              VivSignal             signal_number,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
gboolean      viv_process_send_signal_finish (VivProcess           *self,
                                              GAsyncResult         *result,
                                              GError              **error);
void          viv_process_disconnect         (VivProcess           *self);

G_END_DECLS
