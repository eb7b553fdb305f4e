/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "vivarium.h"

G_BEGIN_DECLS

VivFileEntry *_viv_file_entry_new_from_json (JsonObject    *object,
                                             GError       **error);
GPtrArray    *_viv_file_entries_from_json   (JsonObject    *object,
                                             GError       **error);
void          _viv_files_upload_sent_cb     (GObject       *object,
                                             GAsyncResult  *result,
                                             gpointer       user_data);

G_END_DECLS
