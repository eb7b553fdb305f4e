/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <vivarium.h>

G_BEGIN_DECLS

#define VIV_TYPE_PROCESSES_ITEM (viv_processes_item_get_type ())
G_DECLARE_FINAL_TYPE (VivProcessesItem, viv_processes_item, VIV, PROCESSES_ITEM, GObject)

VivProcessesItem *viv_processes_item_new         (VivProcess       *process);
guint             viv_processes_item_get_pid     (VivProcessesItem *self);
const char       *viv_processes_item_get_command (VivProcessesItem *self);
const char       *viv_processes_item_get_tag     (VivProcessesItem *self);
const char       *viv_processes_item_get_cwd     (VivProcessesItem *self);
void              viv_processes_item_update      (VivProcessesItem *self,
                                                  VivProcess       *process);

G_END_DECLS
