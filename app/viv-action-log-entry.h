/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define VIV_TYPE_ACTION_LOG_ENTRY (viv_action_log_entry_get_type ())
G_DECLARE_FINAL_TYPE (VivActionLogEntry, viv_action_log_entry, VIV, ACTION_LOG_ENTRY, GObject)

VivActionLogEntry *viv_action_log_entry_new        (JsonObject        *event);
guint64     viv_action_log_entry_get_id            (VivActionLogEntry *self);
const char *viv_action_log_entry_get_event_type    (VivActionLogEntry *self);
JsonObject *viv_action_log_entry_get_event         (VivActionLogEntry *self);
GDateTime  *viv_action_log_entry_get_time          (VivActionLogEntry *self);
const char *viv_action_log_entry_get_summary       (VivActionLogEntry *self);
const char *viv_action_log_entry_get_detail        (VivActionLogEntry *self);
const char *viv_action_log_entry_get_icon_name     (VivActionLogEntry *self);
gboolean    viv_action_log_entry_get_refused       (VivActionLogEntry *self);
gboolean    viv_action_log_entry_get_point         (VivActionLogEntry *self,
                                                    int               *x,
                                                    int               *y);

G_END_DECLS
