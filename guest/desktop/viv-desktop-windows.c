/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <X11/Xatom.h>
#include <X11/Xutil.h>

#include "viv-guest-http.h"
#include "viv-desktop-private.h"

/* Windows as a window manager sees them (EWMH, _NET_CLIENT_LIST); without a
 * window manager, the mapped children of the root are the top-level windows. */

static gboolean
has_window_manager (VivX *x)
{
  Atom type;
  int format;
  unsigned long n_items = 0, after;
  unsigned char *data = NULL;
  gboolean found;

  found = XGetWindowProperty (x->display, x->root, x->net_supporting_wm_check, 0, 1, False,
                              XA_WINDOW, &type, &format, &n_items, &after, &data) == Success &&
          data != NULL && n_items == 1;
  if (data != NULL)
    XFree (data);

  return found;
}

static char *
get_utf8_property (VivX   *x,
                   Window  window,
                   Atom    property)
{
  Atom type;
  int format;
  unsigned long n_items = 0, after;
  unsigned char *data = NULL;
  char *text = NULL;

  if (XGetWindowProperty (x->display, window, property, 0, 4096, False, x->utf8_string,
                          &type, &format, &n_items, &after, &data) == Success &&
      data != NULL && type == x->utf8_string && format == 8)
    text = g_utf8_make_valid ((const char *) data, n_items);

  if (data != NULL)
    XFree (data);

  return text;
}

/* WM_NAME in whatever encoding the client used (STRING, COMPOUND_TEXT). */
static char *
get_wm_name (VivX   *x,
             Window  window)
{
  XTextProperty property = { 0 };
  char **list = NULL;
  int count = 0;
  char *text = NULL;

  if (!XGetWMName (x->display, window, &property) || property.value == NULL)
    return NULL;

  if (property.encoding == XA_STRING)
    text = g_convert ((const char *) property.value, property.nitems, "UTF-8", "ISO-8859-1",
                      NULL, NULL, NULL);
  else if (property.encoding == x->utf8_string)
    text = g_utf8_make_valid ((const char *) property.value, property.nitems);
  else if (Xutf8TextPropertyToTextList (x->display, &property, &list, &count) >= Success &&
           count > 0)
    text = g_utf8_make_valid (list[0], -1);

  if (list != NULL)
    XFreeStringList (list);
  XFree (property.value);
  return text;
}

static gint64
get_pid (VivX   *x,
         Window  window)
{
  Atom type;
  int format;
  unsigned long n_items = 0, after;
  unsigned char *data = NULL;
  gint64 pid = -1;

  if (XGetWindowProperty (x->display, window, x->net_wm_pid, 0, 1, False, XA_CARDINAL,
                          &type, &format, &n_items, &after, &data) == Success &&
      data != NULL && n_items == 1 && format == 32)
    pid = (gint64) *(unsigned long *) data;

  if (data != NULL)
    XFree (data);

  return pid;
}

gboolean
viv_desktop_window_exists (VivX   *x,
                           Window  window)
{
  XWindowAttributes attributes;
  Status ok;

  if (window == None)
    return FALSE;

  viv_x_trap_push (x);
  ok = XGetWindowAttributes (x->display, window, &attributes);
  return viv_x_trap_pop (x) == Success && ok;
}

/* Describes @window, or NULL when it is gone. */
JsonNode *
viv_desktop_window_describe (VivX   *x,
                             Window  window,
                             Window  focused)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_autofree char *title = NULL;
  XWindowAttributes attributes;
  XClassHint class_hint = { NULL, NULL };
  Window child;
  int root_x = 0, root_y = 0;
  gint64 pid = -1;
  JsonNode *node;
  Status ok;

  viv_x_trap_push (x);
  ok = XGetWindowAttributes (x->display, window, &attributes);
  if (ok)
    {
      XTranslateCoordinates (x->display, window, x->root, 0, 0, &root_x, &root_y, &child);
      title = get_utf8_property (x, window, x->net_wm_name);
      if (title == NULL)
        title = get_wm_name (x, window);
      XGetClassHint (x->display, window, &class_hint);
      pid = get_pid (x, window);
    }
  if (viv_x_trap_pop (x) != Success || !ok)
    {
      if (class_hint.res_name != NULL)
        XFree (class_hint.res_name);
      if (class_hint.res_class != NULL)
        XFree (class_hint.res_class);
      return NULL;
    }

  json_object_set_int_member (object, "id", (gint64) window);
  json_object_set_string_member (object, "title", title ? title : "");
  if (class_hint.res_class != NULL)
    json_object_set_string_member (object, "class", class_hint.res_class);
  else
    json_object_set_null_member (object, "class");
  if (class_hint.res_name != NULL)
    json_object_set_string_member (object, "instance", class_hint.res_name);
  else
    json_object_set_null_member (object, "instance");
  if (pid > 0)
    json_object_set_int_member (object, "pid", pid);
  else
    json_object_set_null_member (object, "pid");
  json_object_set_int_member (object, "x", root_x);
  json_object_set_int_member (object, "y", root_y);
  json_object_set_int_member (object, "width", attributes.width);
  json_object_set_int_member (object, "height", attributes.height);
  json_object_set_boolean_member (object, "focused", window == focused && window != None);

  if (class_hint.res_name != NULL)
    XFree (class_hint.res_name);
  if (class_hint.res_class != NULL)
    XFree (class_hint.res_class);

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, object);
  return node;
}

static GArray *
list_windows (VivX *x)
{
  GArray *windows = g_array_new (FALSE, FALSE, sizeof (Window));
  Atom type;
  int format;
  unsigned long n_items = 0, after;
  unsigned char *data = NULL;

  if (has_window_manager (x) &&
      XGetWindowProperty (x->display, x->root, x->net_client_list, 0, 65536, False, XA_WINDOW,
                          &type, &format, &n_items, &after, &data) == Success &&
      data != NULL && format == 32)
    {
      g_array_append_vals (windows, data, n_items);
      XFree (data);
      return windows;
    }

  if (data != NULL)
    XFree (data);

  {
    Window root, parent, *children = NULL;
    unsigned int n_children = 0;

    if (XQueryTree (x->display, x->root, &root, &parent, &children, &n_children))
      {
        for (unsigned int i = 0; i < n_children; i++)
          {
            XWindowAttributes attributes;
            Status ok;

            viv_x_trap_push (x);
            ok = XGetWindowAttributes (x->display, children[i], &attributes);
            if (viv_x_trap_pop (x) == Success && ok &&
                attributes.map_state == IsViewable && !attributes.override_redirect &&
                attributes.class == InputOutput)
              g_array_append_val (windows, children[i]);
          }
      }

    if (children != NULL)
      XFree (children);
  }

  return windows;
}

gpointer
viv_desktop_list_windows_job (VivX      *x,
                              gpointer   data,
                              GError   **error)
{
  g_autoptr (GArray) windows = list_windows (x);
  JsonArray *array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);
  Window focused = viv_x_get_focused_window (x);

  for (guint i = 0; i < windows->len; i++)
    {
      JsonNode *description = viv_desktop_window_describe (x, g_array_index (windows, Window, i),
                                                           focused);

      if (description != NULL)
        json_array_add_element (array, description);
    }

  json_node_take_array (node, array);
  return node;
}

gpointer
viv_desktop_focused_window_job (VivX      *x,
                                gpointer   data,
                                GError   **error)
{
  Window focused = viv_x_get_focused_window (x);
  JsonNode *node = focused != None ? viv_desktop_window_describe (x, focused, focused) : NULL;

  if (node == NULL)
    g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_NOT_FOUND, "No window has the focus");

  return node;
}

static void
send_client_message (VivX   *x,
                     Window  window,
                     Atom    type,
                     long    data0,
                     long    data1,
                     long    data2)
{
  XEvent event = { 0 };

  event.xclient.type = ClientMessage;
  event.xclient.window = window;
  event.xclient.message_type = type;
  event.xclient.format = 32;
  event.xclient.data.l[0] = data0;
  event.xclient.data.l[1] = data1;
  event.xclient.data.l[2] = data2;
  XSendEvent (x->display, x->root, False,
              SubstructureRedirectMask | SubstructureNotifyMask, &event);
}

static gboolean
check_window (VivX     *x,
              Window    window,
              GError  **error)
{
  if (!viv_desktop_window_exists (x, window))
    {
      g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_NOT_FOUND, "No window %lu",
                   (unsigned long) window);
      return FALSE;
    }

  return TRUE;
}

static JsonNode *
empty_object (void)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, json_object_new ());
  return node;
}

gpointer
viv_desktop_focus_window_job (VivX      *x,
                              gpointer   data,
                              GError   **error)
{
  Window window = (Window) *(guint64 *) data;

  if (!check_window (x, window, error))
    return NULL;

  if (has_window_manager (x) && viv_x_wm_supports (x, x->net_active_window))
    {
      /* Source 2: a pager, which window managers obey without focus-stealing
       * prevention (EWMH _NET_ACTIVE_WINDOW). */
      send_client_message (x, window, x->net_active_window, 2, CurrentTime, None);
    }
  else
    {
      int failed;

      viv_x_trap_push (x);
      XRaiseWindow (x->display, window);
      XSetInputFocus (x->display, window, RevertToParent, CurrentTime);
      failed = viv_x_trap_pop (x);
      if (failed != Success)
        {
          g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_CONFLICT,
                       "Window %lu cannot take the focus (is it shown?)",
                       (unsigned long) window);
          return NULL;
        }
      viv_x_check_focus (x);
    }

  return empty_object ();
}

static gboolean
supports_delete (VivX   *x,
                 Window  window)
{
  Atom *protocols = NULL;
  int count = 0;
  gboolean found = FALSE;

  if (XGetWMProtocols (x->display, window, &protocols, &count))
    {
      for (int i = 0; i < count; i++)
        found |= protocols[i] == x->wm_delete_window;
      XFree (protocols);
    }

  return found;
}

gpointer
viv_desktop_close_window_job (VivX      *x,
                              gpointer   data,
                              GError   **error)
{
  Window window = (Window) *(guint64 *) data;

  if (!check_window (x, window, error))
    return NULL;

  if (has_window_manager (x) && viv_x_wm_supports (x, x->net_close_window))
    {
      send_client_message (x, window, x->net_close_window, CurrentTime, 2, 0);
    }
  else if (supports_delete (x, window))
    {
      XEvent event = { 0 };

      /* ICCCM 4.2.8.1: ask the client to close it. */
      event.xclient.type = ClientMessage;
      event.xclient.window = window;
      event.xclient.message_type = x->wm_protocols;
      event.xclient.format = 32;
      event.xclient.data.l[0] = x->wm_delete_window;
      event.xclient.data.l[1] = CurrentTime;
      XSendEvent (x->display, window, False, NoEventMask, &event);
    }
  else
    {
      /* A client that does not take part in the protocol is disconnected, as
       * window managers do. */
      viv_x_trap_push (x);
      XKillClient (x->display, window);
      viv_x_trap_pop (x);
    }

  return empty_object ();
}
