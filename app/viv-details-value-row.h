/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define VIV_TYPE_DETAILS_VALUE_ROW (viv_details_value_row_get_type ())
G_DECLARE_FINAL_TYPE (VivDetailsValueRow, viv_details_value_row, VIV, DETAILS_VALUE_ROW, AdwActionRow)

GtkWidget  *viv_details_value_row_new          (const char         *title,
                                                const char         *value,
                                                gboolean            secret);
const char *viv_details_value_row_get_value    (VivDetailsValueRow *self);
void        viv_details_value_row_set_value    (VivDetailsValueRow *self,
                                                const char         *value);
gboolean    viv_details_value_row_get_secret   (VivDetailsValueRow *self);
void        viv_details_value_row_set_secret   (VivDetailsValueRow *self,
                                                gboolean            secret);
gboolean    viv_details_value_row_get_copyable (VivDetailsValueRow *self);
void        viv_details_value_row_set_copyable (VivDetailsValueRow *self,
                                                gboolean            copyable);
gboolean    viv_details_looks_secret           (const char         *name);

G_END_DECLS
