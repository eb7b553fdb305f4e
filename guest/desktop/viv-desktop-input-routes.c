/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-desktop-http.h"

/* Pointer and keyboard endpoints. The JSON is checked here, on the main
 * thread; whether a point is on the screen is checked by the worker, which
 * knows the screen's current size. */

/* More clicks or wheel steps than this in one call is a mistake. */
#define MAX_REPEAT 100

typedef enum
{
  WANT_NOTHING  = 0,
  WANT_POSITION = 1 << 0,   /* x and y: required */
  MAY_POSITION  = 1 << 1,   /* x and y: both or neither */
  WANT_BUTTON   = 1 << 2,
  WANT_COUNT    = 1 << 3,
  WANT_DRAG     = 1 << 4,
  WANT_SCROLL   = 1 << 5,
} PointerFields;

static const struct
{
  const char       *path;
  const char       *action;
  VivPointerAction  kind;
  PointerFields     fields;
} pointer_routes[] = {
  { "/desktop/pointer/move", "move", VIV_POINTER_MOVE, WANT_POSITION },
  { "/desktop/pointer/click", "click", VIV_POINTER_CLICK, MAY_POSITION | WANT_BUTTON | WANT_COUNT },
  { "/desktop/pointer/press", "mouse_down", VIV_POINTER_PRESS, WANT_BUTTON },
  { "/desktop/pointer/release", "mouse_up", VIV_POINTER_RELEASE, WANT_BUTTON },
  { "/desktop/pointer/drag", "drag", VIV_POINTER_DRAG, WANT_DRAG | WANT_BUTTON },
  { "/desktop/pointer/scroll", "scroll", VIV_POINTER_SCROLL, MAY_POSITION | WANT_SCROLL },
};

static gboolean
parse_button (JsonObject    *body,
              unsigned int  *button,
              const char   **name,
              GError       **error)
{
  const char *text = "left";

  if (!viv_json_get_string (body, "button", FALSE, &text, error))
    return FALSE;

  if (g_ascii_strcasecmp (text, "left") == 0)
    *button = Button1;
  else if (g_ascii_strcasecmp (text, "middle") == 0)
    *button = Button2;
  else if (g_ascii_strcasecmp (text, "right") == 0)
    *button = Button3;
  else
    {
      g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                   "Unknown button “%s”: use left, middle or right", text);
      return FALSE;
    }

  *name = text;
  return TRUE;
}

static gboolean
parse_point (JsonObject  *body,
             const char  *name,
             int         *px,
             int         *py,
             GError     **error)
{
  JsonNode *node = json_object_get_member (body, name);
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node) ||
      json_array_get_length (array = json_node_get_array (node)) != 2)
    goto bad;

  for (guint i = 0; i < 2; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      gint64 value;

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_INT64)
        goto bad;
      value = json_node_get_int (element);
      if (value < G_MININT32 || value > G_MAXINT32)
        goto bad;
      *(i == 0 ? px : py) = (int) value;
    }

  return TRUE;

bad:
  g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
               "Member “%s” must be an array of two integers [x, y]", name);
  return FALSE;
}

static gboolean
parse_pointer (JsonObject         *body,
               PointerFields       fields,
               VivPointerRequest  *request,
               JsonObject         *action,
               GError            **error)
{
  gint64 px = G_MININT64, py = G_MININT64, count = 1;
  const char *button_name = NULL;

  if (fields & (WANT_POSITION | MAY_POSITION))
    {
      gboolean required = (fields & WANT_POSITION) != 0;

      if (!viv_json_get_int (body, "x", required, G_MININT32, G_MAXINT32, &px, error) ||
          !viv_json_get_int (body, "y", required, G_MININT32, G_MAXINT32, &py, error))
        return FALSE;

      if ((px == G_MININT64) != (py == G_MININT64))
        {
          g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                               "Give both “x” and “y”, or neither");
          return FALSE;
        }

      if (px != G_MININT64)
        {
          request->has_position = TRUE;
          request->x = px;
          request->y = py;
          json_object_set_int_member (action, "x", px);
          json_object_set_int_member (action, "y", py);
        }
    }

  if (fields & WANT_DRAG)
    {
      if (!parse_point (body, "from", &request->x, &request->y, error) ||
          !parse_point (body, "to", &request->to_x, &request->to_y, error))
        return FALSE;

      request->has_position = TRUE;
      json_object_set_int_member (action, "x", request->x);
      json_object_set_int_member (action, "y", request->y);
      json_object_set_int_member (action, "to_x", request->to_x);
      json_object_set_int_member (action, "to_y", request->to_y);
    }

  if (fields & WANT_BUTTON)
    {
      if (!parse_button (body, &request->button, &button_name, error))
        return FALSE;
      json_object_set_string_member (action, "button", button_name);
    }

  if (fields & WANT_COUNT)
    {
      if (!viv_json_get_int (body, "count", FALSE, 1, MAX_REPEAT, &count, error))
        return FALSE;
      json_object_set_int_member (action, "count", count);
    }

  if (fields & WANT_SCROLL)
    {
      const char *direction = "down";

      if (!viv_json_get_string (body, "direction", FALSE, &direction, error) ||
          !viv_json_get_int (body, "amount", FALSE, 1, MAX_REPEAT, &count, error))
        return FALSE;

      /* The wheel is buttons 4 (up), 5 (down), 6 (left) and 7 (right). */
      if (g_ascii_strcasecmp (direction, "up") == 0)
        request->button = 4;
      else if (g_ascii_strcasecmp (direction, "down") == 0)
        request->button = 5;
      else if (g_ascii_strcasecmp (direction, "left") == 0)
        request->button = 6;
      else if (g_ascii_strcasecmp (direction, "right") == 0)
        request->button = 7;
      else
        {
          g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                       "Unknown direction “%s”: use up, down, left or right", direction);
          return FALSE;
        }

      json_object_set_string_member (action, "direction", direction);
      json_object_set_int_member (action, "amount", count);
    }

  request->count = count;
  return TRUE;
}

static void
pointer_cb (VivGuest          *guest,
            SoupServerMessage *msg,
            const char        *tail,
            GHashTable        *query,
            gpointer           user_data)
{
  VivDesktop *desktop = g_object_get_data (G_OBJECT (guest), "viv-desktop");
  guint index = GPOINTER_TO_UINT (user_data);
  g_autofree VivPointerRequest *request = g_new0 (VivPointerRequest, 1);
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (GError) error = NULL;
  VivDesktopRequest *action;

  if (!(action = viv_desktop_action_begin (desktop, msg, pointer_routes[index].action)))
    return;

  request->action = pointer_routes[index].kind;
  if (!(body = viv_http_read_json_object (msg, &error)) ||
      !parse_pointer (body, pointer_routes[index].fields, request,
                      viv_desktop_request_get_action (action), &error))
    {
      viv_desktop_request_fail (action, error);
      return;
    }

  viv_desktop_request_run (action, viv_desktop_pointer_job, g_steal_pointer (&request), g_free,
                           NULL);
}

static void
type_cb (VivGuest          *guest,
         SoupServerMessage *msg,
         const char        *tail,
         GHashTable        *query,
         gpointer           user_data)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (GError) error = NULL;
  VivDesktopRequest *action;
  const char *text = NULL;

  if (!(action = viv_desktop_action_begin (user_data, msg, "type")))
    return;

  if (!(body = viv_http_read_json_object (msg, &error)) ||
      !viv_json_get_string (body, "text", TRUE, &text, &error))
    {
      viv_desktop_request_fail (action, error);
      return;
    }

  json_object_set_string_member (viv_desktop_request_get_action (action), "text", text);
  viv_desktop_request_run (action, viv_desktop_type_job, g_strdup (text), g_free, NULL);
}

/* {keys: ["ctrl", "c"]} or, as E2B's press() also takes, {keys: "enter"}. */
static char **
parse_keys (JsonObject  *body,
            GError     **error)
{
  JsonNode *node = json_object_get_member (body, "keys");
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    {
      g_strv_builder_add (builder, json_node_get_string (node));
      return g_strv_builder_end (builder);
    }

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node) &&
      json_array_get_length (json_node_get_array (node)) > 0)
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (!JSON_NODE_HOLDS_VALUE (element) ||
              json_node_get_value_type (element) != G_TYPE_STRING)
            goto bad;
          g_strv_builder_add (builder, json_node_get_string (element));
        }

      return g_strv_builder_end (builder);
    }

bad:
  g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                       "Member “keys” must be a key name or a non-empty array of key names");
  return NULL;
}

static void
press_keys_cb (VivGuest          *guest,
               SoupServerMessage *msg,
               const char        *tail,
               GHashTable        *query,
               gpointer           user_data)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) keys = NULL;
  VivDesktopRequest *action;
  JsonArray *keys_array;

  if (!(action = viv_desktop_action_begin (user_data, msg, "keys")))
    return;

  if (!(body = viv_http_read_json_object (msg, &error)) ||
      !(keys = parse_keys (body, &error)))
    {
      viv_desktop_request_fail (action, error);
      return;
    }

  keys_array = json_array_new ();
  for (guint i = 0; keys[i] != NULL; i++)
    json_array_add_string_element (keys_array, keys[i]);
  json_object_set_array_member (viv_desktop_request_get_action (action), "keys", keys_array);

  viv_desktop_request_run (action, viv_desktop_press_keys_job, g_steal_pointer (&keys),
                           (GDestroyNotify) g_strfreev, NULL);
}

void
viv_desktop_input_register (VivDesktop *desktop)
{
  /* The pointer routes tell their kind by index; the desktop rides on the guest. */
  g_object_set_data (G_OBJECT (desktop->guest), "viv-desktop", desktop);

  for (guint i = 0; i < G_N_ELEMENTS (pointer_routes); i++)
    viv_guest_add_route (desktop->guest, "POST", pointer_routes[i].path, 0, pointer_cb,
                         GUINT_TO_POINTER (i));

  viv_guest_add_route (desktop->guest, "POST", "/desktop/keyboard/type", 0, type_cb, desktop);
  viv_guest_add_route (desktop->guest, "POST", "/desktop/keyboard/press", 0, press_keys_cb,
                       desktop);
}
