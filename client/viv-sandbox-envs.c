/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "vivarium.h"
#include "viv-client-private.h"
#include "viv-json-private.h"
#include "viv-sandbox-private.h"

/* A sandbox's environment variables as envd knows them (`GET /envs`,
 * spec §2.2): the ones the sandbox was created with, which the control
 * plane hands to envd through `/init`, plus any a later `/init` added. */

static GHashTable *
parse_env_vars (GBytes  *body,
                GError **error)
{
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (GHashTable) env_vars = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  if (!(object = _viv_json_parse_object (body, error)))
    return NULL;

  env_vars = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &value))
    {
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        {
          g_set_error (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                       "The value of environment variable “%s” is not a string", name);
          return NULL;
        }
      g_hash_table_replace (env_vars, g_strdup (name), g_strdup (json_node_get_string (value)));
    }

  return g_steal_pointer (&env_vars);
}

static void
envs_sent_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GBytes) body = NULL;
  GHashTable *env_vars;
  GError *error = NULL;

  if (!(body = _viv_client_send_finish (VIV_CLIENT (object), result, &error)) ||
      !(env_vars = parse_env_vars (body, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, env_vars, (GDestroyNotify) g_hash_table_unref);
}

static void
envs_ready_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  VivSandbox *self = VIV_SANDBOX (object);
  g_autoptr (GTask) task = user_data;
  g_autoptr (SoupMessage) msg = NULL;
  GCancellable *cancellable;
  GError *error = NULL;

  if (!_viv_sandbox_ensure_envd_finish (self, result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (!(msg = _viv_sandbox_new_message (self, "GET", VIV_ENVD_PORT, "/envs")))
    {
      g_task_return_new_error (task, VIV_ERROR, VIV_ERROR_INVALID_ARGUMENT,
                               "The account's sandbox URL is not valid");
      return;
    }

  cancellable = g_task_get_cancellable (task);
  _viv_client_send_async (viv_sandbox_get_client (self), msg, cancellable,
                          envs_sent_cb, g_steal_pointer (&task));
}

/**
 * viv_sandbox_get_env_vars_async:
 * @self: a sandbox
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the variables
 * @user_data: data for @callback
 *
 * Reads the environment variables envd gives new processes (`GET /envs`):
 * those the sandbox was created with and those a later `/init` set.
 */
void
viv_sandbox_get_env_vars_async (VivSandbox          *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (VIV_IS_SANDBOX (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_sandbox_get_env_vars_async);
  _viv_sandbox_ensure_envd_async (self, cancellable, envs_ready_cb, g_steal_pointer (&task));
}

/**
 * viv_sandbox_get_env_vars_finish:
 * @self: a sandbox
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full) (element-type utf8 utf8): the variables by name,
 *   or %NULL with @error set
 */
GHashTable *
viv_sandbox_get_env_vars_finish (VivSandbox    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (VIV_IS_SANDBOX (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
