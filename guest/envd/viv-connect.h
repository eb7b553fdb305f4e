/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "viv-guest.h"
#include "viv-envd-state.h"

G_BEGIN_DECLS

/* Connect-RPC over HTTP/1.1 with the JSON codec (https://connectrpc.com/docs/protocol),
 * as envd serves it (shared/spec/e2b-wire.md §2.3): unary calls answer plain JSON,
 * server-streaming calls answer 5-byte enveloped messages ending in an end-stream
 * envelope. Client streaming is not served: the E2B SDKs never use it. */

typedef enum
{
  VIV_CONNECT_UNARY,
  VIV_CONNECT_SERVER_STREAM,
} VivConnectKind;

/* Connect's error codes; the string forms are what goes on the wire. */
typedef enum
{
  VIV_CONNECT_CANCELED = 1,
  VIV_CONNECT_UNKNOWN,
  VIV_CONNECT_INVALID_ARGUMENT,
  VIV_CONNECT_DEADLINE_EXCEEDED,
  VIV_CONNECT_NOT_FOUND,
  VIV_CONNECT_ALREADY_EXISTS,
  VIV_CONNECT_PERMISSION_DENIED,
  VIV_CONNECT_RESOURCE_EXHAUSTED,
  VIV_CONNECT_FAILED_PRECONDITION,
  VIV_CONNECT_ABORTED,
  VIV_CONNECT_OUT_OF_RANGE,
  VIV_CONNECT_UNIMPLEMENTED,
  VIV_CONNECT_INTERNAL,
  VIV_CONNECT_UNAVAILABLE,
  VIV_CONNECT_DATA_LOSS,
  VIV_CONNECT_UNAUTHENTICATED,
} VivConnectCode;

/* GErrors in this domain carry a VivConnectCode; other domains are mapped
 * (G_IO_ERROR_NOT_FOUND is not_found, and so on). */
#define VIV_CONNECT_ERROR (viv_connect_error_quark ())
GQuark            viv_connect_error_quark        (void);

typedef struct _VivConnectCall VivConnectCall;

/* Called on the main thread with the parsed request. The handler keeps a
 * reference to @call if it answers later. */
typedef void (*VivConnectHandler) (VivConnectCall *call,
                                   JsonObject     *request,
                                   gpointer        user_data);

/* Serves POST /<service>/<method>. @keepalive_json is the message that server
 * streams send every Keepalive-Ping-Interval seconds (envd: 90 by default);
 * NULL for unary methods. Every method needs the access token (the guest core
 * checks it) and resolves the Authorization: Basic user before @handler runs:
 * an unknown user is "unauthenticated". */
void              viv_connect_add_method         (VivGuest          *guest,
                                                  const char        *service,
                                                  const char        *method,
                                                  VivConnectKind     kind,
                                                  const char        *keepalive_json,
                                                  VivConnectHandler  handler,
                                                  gpointer           user_data);
/* Answers "unimplemented" for any other method of @service. */
void              viv_connect_add_service        (VivGuest          *guest,
                                                  const char        *service);

VivConnectCall   *viv_connect_call_ref           (VivConnectCall    *call);
void              viv_connect_call_unref         (VivConnectCall    *call);
VivGuest         *viv_connect_call_get_guest     (VivConnectCall    *call);
const VivEnvdUser *viv_connect_call_get_user     (VivConnectCall    *call);

/* Unary: the response. Server stream: one message. Ignored once the call is
 * finished; returns FALSE then, so producers can stop. */
gboolean          viv_connect_call_send          (VivConnectCall    *call,
                                                  JsonObject        *message);
/* Ends the call: unary calls answer @error (a non-NULL error is required for a
 * unary call that sent nothing); streams send the end-stream envelope. */
void              viv_connect_call_finish        (VivConnectCall    *call,
                                                  const GError      *error);
void              viv_connect_call_return_error  (VivConnectCall    *call,
                                                  VivConnectCode     code,
                                                  const char        *format,
                                                  ...) G_GNUC_PRINTF (3, 4);
gboolean          viv_connect_call_is_finished   (VivConnectCall    *call);

/* Bytes of a stream's messages that the client has yet to take: they wait
 * in memory. A producer stops at some limit and goes on when the drained
 * func is called: once the backlog is down again, or the stream is over. */
gsize             viv_connect_call_get_backlog   (VivConnectCall    *call);
typedef void (*VivConnectDrainedFunc) (VivConnectCall *call,
                                       gpointer        user_data);
void              viv_connect_call_set_drained_func (VivConnectCall        *call,
                                                     VivConnectDrainedFunc  func,
                                                     gpointer               user_data);

/* Called once when the client goes away or the call finishes, whichever is
 * first; handlers stop producing then. */
typedef void (*VivConnectClosedFunc) (VivConnectCall *call,
                                      gpointer        user_data);
void              viv_connect_call_set_closed_func (VivConnectCall       *call,
                                                    VivConnectClosedFunc  func,
                                                    gpointer              user_data);

/* Connect-Timeout-Ms in milliseconds, 0 when absent. Server streams end with
 * deadline_exceeded when it elapses, unless the handler takes the deadline over
 * (Process/Start bounds the process lifetime with it). */
guint64           viv_connect_call_get_timeout_ms (VivConnectCall   *call);
void              viv_connect_call_take_deadline  (VivConnectCall   *call);

/* proto3 JSON mapping for requests: int64 as string or number, enums by name or
 * number, bytes in base64. A missing member leaves *out untouched. Errors are
 * invalid_argument naming the member. */
gboolean          viv_connect_get_string         (JsonObject        *object,
                                                  const char        *name,
                                                  const char       **out,
                                                  GError           **error);
gboolean          viv_connect_get_bool           (JsonObject        *object,
                                                  const char        *name,
                                                  gboolean          *out,
                                                  GError           **error);
gboolean          viv_connect_get_int            (JsonObject        *object,
                                                  const char        *name,
                                                  gint64             min,
                                                  gint64             max,
                                                  gint64            *out,
                                                  GError           **error);
/* @names[i] is the enum value i's full name (NULL where no value exists). */
gboolean          viv_connect_get_enum           (JsonObject        *object,
                                                  const char        *name,
                                                  const char * const *names,
                                                  guint              n_names,
                                                  gint              *out,
                                                  GError           **error);
gboolean          viv_connect_get_bytes          (JsonObject        *object,
                                                  const char        *name,
                                                  GBytes           **out,
                                                  GError           **error);
/* A message member; NULL when absent. A non-object is invalid_argument. */
gboolean          viv_connect_get_object         (JsonObject        *object,
                                                  const char        *name,
                                                  JsonObject       **out,
                                                  GError           **error);

/* int64 goes on the wire as a decimal string. */
void              viv_connect_set_int64          (JsonObject        *object,
                                                  const char        *name,
                                                  gint64             value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VivConnectCall, viv_connect_call_unref)

G_END_DECLS
