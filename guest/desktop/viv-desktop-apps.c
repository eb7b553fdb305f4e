/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gdesktopappinfo.h>

#include "viv-desktop-http.h"

/* Launching apps by desktop id (like gtk-launch) and opening files or URLs
 * with their default app (like xdg-open), through GIO: nothing goes through a
 * shell, so no argument is ever interpreted as a command. */

typedef struct
{
  VivDesktopRequest *request;
  GPid               pid;
} Launch;

static GAppLaunchContext *
launch_context_new (VivDesktop *desktop,
                    Launch     *launch)
{
  GAppLaunchContext *context = g_app_launch_context_new ();

  g_app_launch_context_setenv (context, "DISPLAY", desktop->display);
  return context;
}

static void
launched_cb (GAppLaunchContext *context,
             GAppInfo          *info,
             GVariant          *platform_data,
             gpointer           user_data)
{
  Launch *launch = user_data;
  gint32 pid = 0;

  if (g_variant_lookup (platform_data, "pid", "i", &pid))
    launch->pid = pid;
}

static void
finish_launch (Launch *launch,
               GError *error)
{
  g_autoptr (SoupServerMessage) msg = g_object_ref (viv_desktop_request_get_message (launch->request));

  if (error != NULL)
    viv_desktop_request_fail (launch->request, error);
  else
    {
      g_autoptr (JsonObject) object = json_object_new ();
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      if (launch->pid > 0)
        json_object_set_int_member (object, "pid", launch->pid);
      else
        json_object_set_null_member (object, "pid");
      json_node_set_object (node, object);
      viv_desktop_request_succeed (launch->request, node);
    }

  soup_server_message_unpause (msg);
  g_free (launch);
}

static void
launch_uris_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  g_app_info_launch_uris_finish (G_APP_INFO (source), result, &error);
  finish_launch (user_data, error);
}

static void
launch_app_cb (VivGuest          *guest,
               SoupServerMessage *msg,
               const char        *tail,
               GHashTable        *query,
               gpointer           user_data)
{
  VivDesktop *desktop = user_data;
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDesktopAppInfo) info = NULL;
  g_autoptr (GAppLaunchContext) context = NULL;
  g_autofree char *desktop_id = NULL;
  g_autoptr (GList) uris = NULL;
  VivDesktopRequest *request;
  const char *app = NULL, *uri = NULL;
  Launch *launch;
  JsonObject *action;

  if (!(request = viv_desktop_action_begin (desktop, msg, "launch")))
    return;

  action = viv_desktop_request_get_action (request);
  if (!(body = viv_http_read_json_object (msg, &error)) ||
      !viv_json_get_string (body, "app", TRUE, &app, &error) ||
      !viv_json_get_string (body, "uri", FALSE, &uri, &error))
    {
      viv_desktop_request_fail (request, error);
      return;
    }

  json_object_set_string_member (action, "app", app);
  if (uri != NULL)
    json_object_set_string_member (action, "uri", uri);

  /* A desktop id names a file in the applications folders, never a path. */
  desktop_id = g_str_has_suffix (app, ".desktop") ? g_strdup (app)
                                                  : g_strconcat (app, ".desktop", NULL);
  if (*app == '\0' || strchr (app, '/') != NULL ||
      (info = g_desktop_app_info_new (desktop_id)) == NULL)
    {
      error = g_error_new (VIV_HTTP_ERROR, SOUP_STATUS_NOT_FOUND,
                           "No application “%s” is installed", app);
      viv_desktop_request_fail (request, error);
      return;
    }

  launch = g_new0 (Launch, 1);
  launch->request = request;
  context = launch_context_new (desktop, launch);
  g_signal_connect (context, "launched", G_CALLBACK (launched_cb), launch);
  if (uri != NULL)
    uris = g_list_append (uris, (gpointer) uri);

  soup_server_message_pause (msg);
  g_app_info_launch_uris_async (G_APP_INFO (info), uris, context, NULL, launch_uris_cb, launch);
}

static void
launch_default_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    {
      GError *not_found = g_error_new (VIV_HTTP_ERROR, SOUP_STATUS_NOT_FOUND,
                                       "No application opens it: %s", error->message);

      g_clear_error (&error);
      error = not_found;
    }

  finish_launch (user_data, error);
}

static void
open_cb (VivGuest          *guest,
         SoupServerMessage *msg,
         const char        *tail,
         GHashTable        *query,
         gpointer           user_data)
{
  VivDesktop *desktop = user_data;
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GAppLaunchContext) context = NULL;
  g_autoptr (GFile) file = NULL;
  g_autofree char *uri = NULL;
  VivDesktopRequest *request;
  const char *target = NULL;
  Launch *launch;

  if (!(request = viv_desktop_action_begin (desktop, msg, "open")))
    return;

  if (!(body = viv_http_read_json_object (msg, &error)) ||
      !viv_json_get_string (body, "target", TRUE, &target, &error))
    {
      viv_desktop_request_fail (request, error);
      return;
    }

  json_object_set_string_member (viv_desktop_request_get_action (request), "target", target);

  if (*target == '\0')
    {
      error = g_error_new_literal (VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                                   "“target” is empty");
      viv_desktop_request_fail (request, error);
      return;
    }

  /* A URL as it is; a path like xdg-open takes it. */
  file = g_file_new_for_commandline_arg (target);
  if (g_file_is_native (file) && !g_file_query_exists (file, NULL))
    {
      error = g_error_new (VIV_HTTP_ERROR, SOUP_STATUS_NOT_FOUND, "No file %s", target);
      viv_desktop_request_fail (request, error);
      return;
    }
  uri = g_file_get_uri (file);

  launch = g_new0 (Launch, 1);
  launch->request = request;
  context = launch_context_new (desktop, launch);
  g_signal_connect (context, "launched", G_CALLBACK (launched_cb), launch);

  soup_server_message_pause (msg);
  g_app_info_launch_default_for_uri_async (uri, context, NULL, launch_default_cb, launch);
}

void
viv_desktop_apps_register (VivDesktop *desktop)
{
  viv_guest_add_route (desktop->guest, "POST", "/desktop/launch", 0, launch_app_cb, desktop);
  viv_guest_add_route (desktop->guest, "POST", "/desktop/open", 0, open_cb, desktop);
}
