/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "viv-test-harness.h"

G_BEGIN_DECLS

/* A small Connect-RPC client (JSON codec) for the tests, written from the
 * protocol description (https://connectrpc.com/docs/protocol) rather than from
 * the guest's code, over the guest's Unix socket. */

/* A unary call: POST /<method> with application/json. @user, when not NULL,
 * goes in "Authorization: Basic base64(user:)". Returns the parsed body. */
JsonObject   *rpc_unary              (VivTestGuest  *guest,
                                      const char    *user,
                                      const char    *method,
                                      const char    *json,
                                      guint         *status);
/* Asserts a unary error: the HTTP status and Connect's code. */
void          rpc_assert_error       (JsonObject    *response,
                                      guint          status,
                                      guint          expected_status,
                                      const char    *expected_code);

typedef struct _RpcStream RpcStream;

/* A server-streaming call: one enveloped request on its own connection.
 * @timeout_ms > 0 sends Connect-Timeout-Ms. */
RpcStream    *rpc_stream_open        (VivTestGuest  *guest,
                                      const char    *user,
                                      const char    *method,
                                      const char    *json,
                                      guint64        timeout_ms);
/* The next message; NULL after the end-stream envelope, which is kept. Fails
 * the test on a malformed envelope or a stream that ends without end-stream. */
JsonObject   *rpc_stream_next        (RpcStream     *stream);
/* The end-stream's error object, or NULL for a clean end. Reads the rest. */
JsonObject   *rpc_stream_end_error   (RpcStream     *stream);
/* Drops the connection without reading on. */
void          rpc_stream_free        (RpcStream     *stream);

/* Process/Start events: returns the kind ("start", "data", "end", "keepalive")
 * and the body. */
const char   *rpc_process_event      (JsonObject    *message,
                                      JsonObject   **body);
/* Base64 decoding of a data event member, NULL-terminated. */
char         *rpc_decode             (JsonObject    *data,
                                      const char    *member);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpcStream, rpc_stream_free)

G_END_DECLS
