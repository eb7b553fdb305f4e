/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define VIV_TYPE_PROCESSES_ITEM (viv_processes_item_get_type ())
G_DECLARE_FINAL_TYPE (VivProcessesItem, viv_processes_item, VIV, PROCESSES_ITEM, GObject)

VivProcessesItem *viv_processes_item_new         (guint             pid,
                                                  const char       *command);
guint             viv_processes_item_get_pid     (VivProcessesItem *self);
const char       *viv_processes_item_get_command (VivProcessesItem *self);
void              viv_processes_item_set_command (VivProcessesItem *self,
                                                  const char       *command);

G_END_DECLS
