/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "vivarium.h"

G_BEGIN_DECLS

/* The HTTP session shared by a client's control-plane and envd requests. */
SoupSession        *_viv_client_get_session            (VivClient            *self);
/* Tests point every connection at one address (a guest's Unix socket). */
void                _viv_client_set_remote_connectable (VivClient            *self,
                                                        GSocketConnectable   *connectable);
GSocketConnectable *_viv_client_get_remote_connectable (VivClient            *self);
/* Sends @msg and reads the whole answer; a non-2xx status is a VIV_ERROR. */
void                _viv_client_send_async             (VivClient            *self,
                                                        SoupMessage          *msg,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
GBytes             *_viv_client_send_finish            (VivClient            *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

/* Parsers of E2B's JSON, exposed for the fixture tests. */
GPtrArray          *_viv_client_parse_sandboxes        (VivClient            *self,
                                                        GBytes               *body,
                                                        GError              **error);
VivMetric          *_viv_metric_new_from_json          (JsonObject           *object,
                                                        GError              **error);
VivLogEntry        *_viv_log_entry_new_from_json       (JsonObject           *object,
                                                        GError              **error);
GPtrArray          *_viv_client_parse_metrics          (GBytes               *body,
                                                        GError              **error);
GPtrArray          *_viv_client_parse_logs             (GBytes               *body,
                                                        GError              **error);
char               *_viv_client_encode_metadata_filter (GHashTable           *metadata);

G_END_DECLS
