/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "vivarium.h"

G_BEGIN_DECLS

/* Connect-RPC with the JSON codec, to a sandbox's envd (spec §2.3). */

/* A unary call: POST /<service>/<method> with @request; the answer object. */
void        _viv_connect_call_async   (VivSandbox          *sandbox,
                                       const char          *method,
                                       JsonObject          *request,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
JsonObject *_viv_connect_call_finish  (VivSandbox          *sandbox,
                                       GAsyncResult        *result,
                                       GError             **error);

/* A server stream: @message_func gets each message in order, on the thread
 * default main context; the call completes after the end-of-stream envelope
 * (or fails: an error in it, a dropped connection, a broken envelope). */
typedef void (*VivConnectMessageFunc) (JsonObject *message,
                                       gpointer    user_data);

void        _viv_connect_stream_async  (VivSandbox            *sandbox,
                                        const char            *method,
                                        JsonObject            *request,
                                        guint                  timeout_ms,
                                        VivConnectMessageFunc  message_func,
                                        gpointer               message_data,
                                        GCancellable          *cancellable,
                                        GAsyncReadyCallback    callback,
                                        gpointer               user_data);
gboolean    _viv_connect_stream_finish (VivSandbox            *sandbox,
                                        GAsyncResult          *result,
                                        GError               **error);

/* Parses envelopes out of @buffer (flags, big-endian length, JSON), removing
 * the ones it consumed. Returns FALSE with @error on a broken envelope; sets
 * *ended (and @error for an error end) on the end-of-stream envelope. */
gboolean    _viv_connect_parse_envelopes (GByteArray            *buffer,
                                          VivConnectMessageFunc  message_func,
                                          gpointer               message_data,
                                          gboolean              *ended,
                                          GError               **error);

G_END_DECLS
