/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

/* Private to libvivarium: see viv-takeover.h for why the app borrows them. */
#include "viv-client-private.h"
#include "viv-sandbox-private.h"

#include "viv-takeover.h"

typedef struct
{
  char     *method;
  char     *path;
  GBytes   *body;
} Request;

static void
request_free (Request *request)
{
  g_free (request->method);
  g_free (request->path);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_free (request);
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) answer = _viv_client_send_finish (VIV_CLIENT (object), result, &error);

  if (answer == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
envd_ready_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  VivSandbox *sandbox = VIV_SANDBOX (object);
  g_autoptr (GTask) task = user_data;
  Request *request = g_task_get_task_data (task);
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GError) error = NULL;

  if (!_viv_sandbox_ensure_envd_finish (sandbox, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  msg = _viv_sandbox_new_message (sandbox, request->method, VIV_ENVD_PORT, request->path);
  if (msg == NULL)
    {
      g_task_return_new_error (task, VIV_ERROR, VIV_ERROR_INVALID_ARGUMENT,
                               "Cannot make a request for %s", request->path);
      return;
    }
  if (request->body != NULL)
    soup_message_set_request_body_from_bytes (msg, "application/json", request->body);

  _viv_client_send_async (viv_sandbox_get_client (sandbox), msg, g_task_get_cancellable (task),
                          sent_cb, g_steal_pointer (&task));
}

static void
send_request (VivSandbox          *sandbox,
              const char          *method,
              char                *path,
              GBytes              *body,
              gpointer             source_tag,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (sandbox, cancellable, callback, user_data);
  Request *request = g_new0 (Request, 1);

  g_task_set_source_tag (task, source_tag);
  request->method = g_strdup (method);
  request->path = path;
  request->body = body;
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);

  _viv_sandbox_ensure_envd_async (sandbox, cancellable, envd_ready_cb, g_steal_pointer (&task));
}

void
viv_takeover_acquire_async (VivSandbox          *sandbox,
                            const char          *holder,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  char *json;

  g_return_if_fail (VIV_IS_SANDBOX (sandbox));
  g_return_if_fail (holder != NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "holder");
  json_builder_add_string_value (builder, holder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, NULL);

  send_request (sandbox, "POST", g_strdup ("/desktop/takeover"),
                g_bytes_new_take (json, strlen (json)), viv_takeover_acquire_async,
                cancellable, callback, user_data);
}

gboolean
viv_takeover_acquire_finish (GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
viv_takeover_release_async (VivSandbox          *sandbox,
                            const char          *holder,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (VIV_IS_SANDBOX (sandbox));
  g_return_if_fail (holder != NULL);

  /* ?holder= releases only our own lock, never someone else's. */
  escaped = g_uri_escape_string (holder, NULL, FALSE);
  send_request (sandbox, "DELETE", g_strconcat ("/desktop/takeover?holder=", escaped, NULL),
                NULL, viv_takeover_release_async, cancellable, callback, user_data);
}

gboolean
viv_takeover_release_finish (GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* "Ada Lovelace (Vivarium)": who the agent is told holds its desktop. */
char *
viv_takeover_default_holder (void)
{
  const char *name = g_get_real_name ();

  if (name == NULL || *name == '\0' || g_strcmp0 (name, "Unknown") == 0)
    name = g_get_user_name ();
  return g_strdup_printf ("%s (Vivarium)", name);
}
