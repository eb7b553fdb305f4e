/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-guest-modules.h"
#include "viv-desktop-http.h"

/* The desktop API: screenshots, screen, cursor, windows and clipboard here;
 * pointer and keyboard in viv-desktop-input-routes.c; apps in
 * viv-desktop-apps.c. All X work happens on the worker thread. */

struct _VivDesktopRequest
{
  VivDesktop        *desktop;
  SoupServerMessage *msg;
  JsonObject        *action;        /* NULL for queries */
  char              *content_type;  /* for GBytes results */
};

static void
request_free (VivDesktopRequest *request)
{
  g_clear_object (&request->msg);
  g_clear_pointer (&request->action, json_object_unref);
  g_free (request->content_type);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VivDesktopRequest, request_free)

gboolean
viv_desktop_check_display (VivDesktop        *desktop,
                           SoupServerMessage *msg)
{
  if (desktop->worker == NULL)
    {
      viv_http_reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                            "This guest has no display (start it with --display or --attach)");
      return FALSE;
    }

  return TRUE;
}

static void
publish_action (VivDesktopRequest *request,
                const GError      *error)
{
  if (request->action == NULL)
    return;

  json_object_set_string_member (request->action, "outcome", error ? "error" : "ok");
  if (error != NULL)
    json_object_set_string_member (request->action, "error", error->message);
  viv_guest_emit_event (request->desktop->guest, "action", request->action);
}

VivDesktopRequest *
viv_desktop_query_begin (VivDesktop        *desktop,
                         SoupServerMessage *msg)
{
  VivDesktopRequest *request;

  if (!viv_desktop_check_display (desktop, msg))
    return NULL;

  request = g_new0 (VivDesktopRequest, 1);
  request->desktop = desktop;
  request->msg = g_object_ref (msg);
  return request;
}

VivDesktopRequest *
viv_desktop_action_begin (VivDesktop        *desktop,
                          SoupServerMessage *msg,
                          const char        *action)
{
  VivDesktopRequest *request;

  if (!viv_guest_check_agent_input (desktop->guest, msg))
    {
      g_autoptr (JsonObject) refused = json_object_new ();
      g_autofree char *message = g_strdup_printf ("The desktop is taken over by %s",
                                                  viv_guest_takeover_get_holder (desktop->guest));

      json_object_set_string_member (refused, "action", action);
      json_object_set_string_member (refused, "outcome", "error");
      json_object_set_string_member (refused, "error", message);
      viv_guest_emit_event (desktop->guest, "action", refused);
      return NULL;
    }

  request = viv_desktop_query_begin (desktop, msg);
  if (request != NULL)
    {
      request->action = json_object_new ();
      json_object_set_string_member (request->action, "action", action);
    }

  return request;
}

JsonObject *
viv_desktop_request_get_action (VivDesktopRequest *request)
{
  return request->action;
}

SoupServerMessage *
viv_desktop_request_get_message (VivDesktopRequest *request)
{
  return request->msg;
}

void
viv_desktop_request_fail (VivDesktopRequest *request,
                          GError            *error)
{
  viv_http_reply_gerror (request->msg, error);
  publish_action (request, error);
  request_free (request);
}

void
viv_desktop_request_succeed (VivDesktopRequest *request,
                             JsonNode          *node)
{
  viv_http_reply_json (request->msg, SOUP_STATUS_OK, node);
  publish_action (request, NULL);
  request_free (request);
}

static void
job_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (VivDesktopRequest) request = user_data;
  g_autoptr (GError) error = NULL;
  gpointer value;

  value = viv_desktop_worker_run_finish (result, &error);
  if (error != NULL)
    {
      viv_http_reply_gerror (request->msg, error);
      publish_action (request, error);
    }
  else if (request->content_type != NULL)
    {
      g_autoptr (GBytes) bytes = value;

      soup_server_message_set_status (request->msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (request->msg, request->content_type, SOUP_MEMORY_COPY,
                                        NULL, 0);
      soup_message_body_append_bytes (soup_server_message_get_response_body (request->msg),
                                      bytes);
      publish_action (request, NULL);
    }
  else
    {
      g_autoptr (JsonNode) node = value;

      viv_http_reply_json (request->msg, SOUP_STATUS_OK, node);
      publish_action (request, NULL);
    }

  soup_server_message_unpause (request->msg);
}

void
viv_desktop_request_run (VivDesktopRequest *request,
                         VivDesktopJobFunc  func,
                         gpointer           data,
                         GDestroyNotify     data_free,
                         const char        *content_type)
{
  request->content_type = g_strdup (content_type);
  soup_server_message_pause (request->msg);
  viv_desktop_worker_run_async (request->desktop->worker, func, data, data_free,
                                content_type ? (GDestroyNotify) g_bytes_unref
                                             : (GDestroyNotify) json_node_unref,
                                job_done_cb, request);
}

static GError *
bad_request (const char *format,
             ...) G_GNUC_PRINTF (1, 2);

static GError *
bad_request (const char *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  return g_error_new_literal (VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST, message);
}

static gboolean
parse_query_int (GHashTable  *query,
                 const char  *name,
                 gint64       min,
                 gint64       max,
                 gint64      *out,
                 GError     **error)
{
  const char *text = query ? g_hash_table_lookup (query, name) : NULL;

  if (text == NULL)
    return TRUE;

  if (!g_ascii_string_to_signed (text, 10, min, max, out, NULL))
    {
      *error = bad_request ("“%s” must be a whole number from %" G_GINT64_FORMAT
                            " to %" G_GINT64_FORMAT ", not “%s”", name, min, max, text);
      return FALSE;
    }

  return TRUE;
}

/* Window ids as xdotool and xwininfo print them: decimal or 0x hex. */
static gboolean
parse_window_id (const char *text,
                 guint64    *window)
{
  if (g_str_has_prefix (text, "0x") || g_str_has_prefix (text, "0X"))
    return g_ascii_string_to_unsigned (text + 2, 16, 1, G_MAXUINT32, window, NULL);

  return g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT32, window, NULL);
}

static gpointer
screenshot_job (VivX      *x,
                gpointer   data,
                GError   **error)
{
  return viv_desktop_capture (x, data, error);
}

static void
screenshot_cb (VivGuest          *guest,
               SoupServerMessage *msg,
               const char        *tail,
               GHashTable        *query,
               gpointer           user_data)
{
  g_autofree VivScreenshotRequest *screenshot = g_new0 (VivScreenshotRequest, 1);
  VivDesktopRequest *request;
  const char *format = query ? g_hash_table_lookup (query, "format") : NULL;
  const char *window = query ? g_hash_table_lookup (query, "window") : NULL;
  const char *content_type;
  GError *error = NULL;
  gint64 quality = 80, left = 0, top = 0, width = 0, height = 0;
  gboolean region = FALSE;

  if (!(request = viv_desktop_query_begin (user_data, msg)))
    return;

  if (format == NULL || g_ascii_strcasecmp (format, "png") == 0)
    screenshot->jpeg = FALSE;
  else if (g_ascii_strcasecmp (format, "jpeg") == 0 || g_ascii_strcasecmp (format, "jpg") == 0)
    screenshot->jpeg = TRUE;
  else
    error = bad_request ("Unknown format “%s”: use png or jpeg", format);

  if (error == NULL &&
      parse_query_int (query, "quality", 1, 100, &quality, &error) &&
      parse_query_int (query, "x", 0, G_MAXINT32, &left, &error) &&
      parse_query_int (query, "y", 0, G_MAXINT32, &top, &error) &&
      parse_query_int (query, "width", 1, G_MAXINT32, &width, &error) &&
      parse_query_int (query, "height", 1, G_MAXINT32, &height, &error))
    {
      region = query != NULL && (g_hash_table_contains (query, "x") ||
                                 g_hash_table_contains (query, "y") ||
                                 g_hash_table_contains (query, "width") ||
                                 g_hash_table_contains (query, "height"));
      if (region && (width == 0 || height == 0))
        error = bad_request ("A region needs “width” and “height”");
    }

  if (error == NULL && window != NULL)
    {
      guint64 id;

      if (region)
        error = bad_request ("Give either a window or a region, not both");
      else if (!parse_window_id (window, &id))
        error = g_error_new (VIV_HTTP_ERROR, SOUP_STATUS_NOT_FOUND, "No window “%s”", window);
      else
        screenshot->window = (Window) id;
    }

  if (error != NULL)
    {
      viv_desktop_request_fail (request, error);
      g_error_free (error);
      return;
    }

  screenshot->quality = quality;
  screenshot->x = left;
  screenshot->y = top;
  screenshot->width = width;
  screenshot->height = height;
  content_type = screenshot->jpeg ? "image/jpeg" : "image/png";
  viv_desktop_request_run (request, screenshot_job, g_steal_pointer (&screenshot), g_free,
                           content_type);
}

static gpointer
screen_job (VivX      *x,
            gpointer   data,
            GError   **error)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_int_member (object, "width", x->width);
  json_object_set_int_member (object, "height", x->height);
  json_node_take_object (node, object);
  return node;
}

static void
screen_cb (VivGuest          *guest,
           SoupServerMessage *msg,
           const char        *tail,
           GHashTable        *query,
           gpointer           user_data)
{
  VivDesktopRequest *request = viv_desktop_query_begin (user_data, msg);

  if (request != NULL)
    viv_desktop_request_run (request, screen_job, NULL, NULL, NULL);
}

static void
cursor_cb (VivGuest          *guest,
           SoupServerMessage *msg,
           const char        *tail,
           GHashTable        *query,
           gpointer           user_data)
{
  VivDesktopRequest *request = viv_desktop_query_begin (user_data, msg);

  if (request != NULL)
    viv_desktop_request_run (request, viv_desktop_cursor_job, NULL, NULL, NULL);
}

static void
windows_cb (VivGuest          *guest,
            SoupServerMessage *msg,
            const char        *tail,
            GHashTable        *query,
            gpointer           user_data)
{
  VivDesktopRequest *request = viv_desktop_query_begin (user_data, msg);

  if (request != NULL)
    viv_desktop_request_run (request, viv_desktop_list_windows_job, NULL, NULL, NULL);
}

static void
focused_window_cb (VivGuest          *guest,
                   SoupServerMessage *msg,
                   const char        *tail,
                   GHashTable        *query,
                   gpointer           user_data)
{
  VivDesktopRequest *request = viv_desktop_query_begin (user_data, msg);

  if (request != NULL)
    viv_desktop_request_run (request, viv_desktop_focused_window_job, NULL, NULL, NULL);
}

static gpointer
describe_window_job (VivX      *x,
                     gpointer   data,
                     GError   **error)
{
  Window window = (Window) *(guint64 *) data;
  JsonNode *node = viv_desktop_window_describe (x, window, viv_x_get_focused_window (x));

  if (node == NULL)
    g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_NOT_FOUND, "No window %lu",
                 (unsigned long) window);

  return node;
}

/* GET /desktop/windows/ID, POST /desktop/windows/ID/focus and .../close */
static void
window_cb (VivGuest          *guest,
           SoupServerMessage *msg,
           const char        *tail,
           GHashTable        *query,
           gpointer           user_data)
{
  VivDesktop *desktop = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_auto (GStrv) parts = g_strsplit (tail, "/", 3);
  g_autofree guint64 *window = g_new0 (guint64, 1);
  VivDesktopRequest *request;
  const char *verb = parts[0] != NULL ? parts[1] : NULL;
  const char *action;
  VivDesktopJobFunc func;

  if (parts[0] == NULL || !parse_window_id (parts[0], window) ||
      (verb != NULL && parts[2] != NULL))
    {
      viv_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "No window “%s”", tail);
      return;
    }

  if (verb == NULL && (strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0))
    {
      if ((request = viv_desktop_query_begin (desktop, msg)))
        viv_desktop_request_run (request, describe_window_job, g_steal_pointer (&window), g_free,
                                 NULL);
      return;
    }

  if (g_strcmp0 (verb, "focus") == 0)
    {
      action = "focus_window";
      func = viv_desktop_focus_window_job;
    }
  else if (g_strcmp0 (verb, "close") == 0)
    {
      action = "close_window";
      func = viv_desktop_close_window_job;
    }
  else
    {
      viv_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "No such endpoint: /desktop/windows/%s",
                            tail);
      return;
    }

  if (strcmp (method, "POST") != 0)
    {
      viv_http_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                            "%s is not allowed on /desktop/windows/%s", method, tail);
      return;
    }

  if (!(request = viv_desktop_action_begin (desktop, msg, action)))
    return;

  json_object_set_int_member (viv_desktop_request_get_action (request), "window",
                              (gint64) *window);
  viv_desktop_request_run (request, func, g_steal_pointer (&window), g_free, NULL);
}

static gpointer
get_clipboard_job (VivX      *x,
                   gpointer   data,
                   GError   **error)
{
  g_autofree char *text = viv_desktop_clipboard_get (x, error);
  JsonObject *object;
  JsonNode *node;

  if (text == NULL)
    return NULL;

  object = json_object_new ();
  json_object_set_string_member (object, "text", text);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, object);
  return node;
}

static gpointer
set_clipboard_job (VivX      *x,
                   gpointer   data,
                   GError   **error)
{
  JsonNode *node;

  if (!viv_desktop_clipboard_set (x, data, error))
    return NULL;

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, json_object_new ());
  return node;
}

static void
get_clipboard_cb (VivGuest          *guest,
                  SoupServerMessage *msg,
                  const char        *tail,
                  GHashTable        *query,
                  gpointer           user_data)
{
  VivDesktopRequest *request = viv_desktop_query_begin (user_data, msg);

  if (request != NULL)
    viv_desktop_request_run (request, get_clipboard_job, NULL, NULL, NULL);
}

static void
set_clipboard_cb (VivGuest          *guest,
                  SoupServerMessage *msg,
                  const char        *tail,
                  GHashTable        *query,
                  gpointer           user_data)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (GError) error = NULL;
  VivDesktopRequest *request;
  const char *text = NULL;

  if (!(request = viv_desktop_action_begin (user_data, msg, "set_clipboard")))
    return;

  if (!(body = viv_http_read_json_object (msg, &error)) ||
      !viv_json_get_string (body, "text", TRUE, &text, &error))
    {
      viv_desktop_request_fail (request, error);
      return;
    }

  viv_desktop_request_run (request, set_clipboard_job, g_strdup (text), g_free, NULL);
}

void
viv_desktop_register (VivGuest *guest)
{
  VivGuestDisplayConfig *config = viv_guest_get_display_config (guest);
  /* The routes refer to it for the life of the process. */
  VivDesktop *desktop = g_new0 (VivDesktop, 1);

  desktop->guest = guest;
  desktop->display = g_strdup (config->display);
  if (desktop->display != NULL)
    desktop->worker = viv_desktop_worker_new (guest, desktop->display);
  g_object_set_data (G_OBJECT (guest), "viv-desktop", desktop);

  viv_guest_add_route (guest, "GET", "/desktop/screenshot", 0, screenshot_cb, desktop);
  viv_guest_add_route (guest, "GET", "/desktop/screen", 0, screen_cb, desktop);
  viv_guest_add_route (guest, "GET", "/desktop/cursor", 0, cursor_cb, desktop);
  viv_guest_add_route (guest, "GET", "/desktop/windows", 0, windows_cb, desktop);
  viv_guest_add_route (guest, "GET", "/desktop/windows/focused", 0, focused_window_cb, desktop);
  viv_guest_add_route (guest, "GET", "/desktop/windows/", VIV_ROUTE_PREFIX, window_cb, desktop);
  viv_guest_add_route (guest, "POST", "/desktop/windows/", VIV_ROUTE_PREFIX, window_cb, desktop);
  viv_guest_add_route (guest, "GET", "/desktop/clipboard", 0, get_clipboard_cb, desktop);
  viv_guest_add_route (guest, "PUT", "/desktop/clipboard", 0, set_clipboard_cb, desktop);

  viv_desktop_input_register (desktop);
  viv_desktop_apps_register (desktop);
}

void
viv_desktop_shutdown (VivGuest *guest)
{
  VivDesktop *desktop = g_object_get_data (G_OBJECT (guest), "viv-desktop");

  if (desktop != NULL && desktop->worker != NULL)
    viv_desktop_worker_stop (desktop->worker);
}
