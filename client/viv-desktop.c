/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "vivarium.h"
#include "viv-client-private.h"
#include "viv-desktop-private.h"
#include "viv-error-private.h"
#include "viv-json-private.h"
#include "viv-sandbox-private.h"

/**
 * VivDesktop:
 *
 * The desktop of a sandbox running vivarium-guest: screenshots, pointer,
 * keyboard, windows, clipboard, apps, the takeover lock and the event stream
 * (the guest's `/desktop/` API, reached like envd: the sandbox URL with the
 * `E2b-Sandbox-Id` and `X-Access-Token` headers).
 *
 * While a human holds the desktop, every input call fails with
 * %VIV_ERROR_LOCKED; [func@Viv.Error.get_holder] and [func@Viv.Error.get_since]
 * say who and since when, and the takeover properties follow.
 *
 * [method@Viv.Desktop.watch_events_async] turns the guest's event stream into
 * signals: [signal@Viv.Desktop::action], [signal@Viv.Desktop::takeover],
 * [signal@Viv.Desktop::focus], [signal@Viv.Desktop::display] and, for every
 * event, [signal@Viv.Desktop::event].
 */

struct _VivDesktop
{
  GObject     parent_instance;
  VivSandbox *sandbox;

  gboolean    takeover_held;
  char       *takeover_holder;
  GDateTime  *takeover_since;

  gboolean    events_connected;
};

enum {
  PROP_0,
  PROP_SANDBOX,
  PROP_TAKEOVER_HELD,
  PROP_TAKEOVER_HOLDER,
  PROP_TAKEOVER_SINCE,
  PROP_EVENTS_CONNECTED,
  N_PROPS
};

enum {
  EVENT,
  ACTION,
  TAKEOVER,
  FOCUS,
  DISPLAY,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (VivDesktop, viv_desktop, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const char * const button_names[] = { "left", "middle", "right" };
static const char * const direction_names[] = { "up", "down", "left", "right" };

/* Takeover state */

void
_viv_desktop_set_takeover (VivDesktop *self,
                           gboolean    held,
                           const char *holder,
                           GDateTime  *since)
{
  g_object_freeze_notify (G_OBJECT (self));

  if (self->takeover_held != !!held)
    {
      self->takeover_held = !!held;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TAKEOVER_HELD]);
    }

  if (g_strcmp0 (self->takeover_holder, holder) != 0)
    {
      g_free (self->takeover_holder);
      self->takeover_holder = g_strdup (holder);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TAKEOVER_HOLDER]);
    }

  if (!(self->takeover_since == since ||
        (self->takeover_since != NULL && since != NULL &&
         g_date_time_equal (self->takeover_since, since))))
    {
      g_clear_pointer (&self->takeover_since, g_date_time_unref);
      self->takeover_since = since ? g_date_time_ref (since) : NULL;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TAKEOVER_SINCE]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

/* {"held","holder","since"}, from an answer or a takeover event. */
static gboolean
take_takeover_json (VivDesktop  *self,
                    JsonObject  *object,
                    GError     **error)
{
  g_autoptr (GDateTime) since = NULL;
  const char *holder = NULL;
  gboolean held = FALSE;

  if (!_viv_json_get_bool (object, "held", TRUE, &held, error) ||
      !_viv_json_get_string (object, "holder", FALSE, &holder, error) ||
      !_viv_json_get_time (object, "since", FALSE, &since, error))
    return FALSE;

  if (held && holder == NULL)
    {
      g_set_error_literal (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                           "The guest says the desktop is held, but not by whom");
      return FALSE;
    }

  _viv_desktop_set_takeover (self, held, held ? holder : NULL, held ? since : NULL);
  return TRUE;
}

void
_viv_desktop_set_events_connected (VivDesktop *self,
                                   gboolean    connected)
{
  if (self->events_connected == !!connected)
    return;

  self->events_connected = !!connected;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EVENTS_CONNECTED]);
}

void
_viv_desktop_dispatch_event (VivDesktop *self,
                             const char *type,
                             JsonObject *event)
{
  g_autoptr (VivDesktop) hold = g_object_ref (self);

  if (g_strcmp0 (type, "takeover") == 0)
    {
      g_autoptr (GError) error = NULL;

      if (!take_takeover_json (self, event, &error))
        g_debug ("Ignoring a malformed takeover event: %s", error->message);
      else
        g_signal_emit (self, signals[TAKEOVER], 0, self->takeover_held,
                       self->takeover_holder, self->takeover_since);
    }
  else if (g_strcmp0 (type, "action") == 0)
    {
      const char *action = NULL;
      const char *outcome = NULL;

      if (_viv_json_get_string (event, "action", TRUE, &action, NULL) &&
          _viv_json_get_string (event, "outcome", FALSE, &outcome, NULL))
        g_signal_emit (self, signals[ACTION], 0, action, g_strcmp0 (outcome, "error") != 0, event);
      else
        g_debug ("Ignoring an action event without an action");
    }
  else if (g_strcmp0 (type, "focus") == 0)
    {
      JsonNode *window = json_object_get_member (event, "window");
      JsonNode *title = json_object_get_member (event, "title");

      /* "window" and "title" are null when no window has the focus. */
      if (window != NULL &&
          (JSON_NODE_HOLDS_NULL (window) || json_node_get_value_type (window) == G_TYPE_INT64) &&
          (title == NULL || JSON_NODE_HOLDS_NULL (title) ||
           json_node_get_value_type (title) == G_TYPE_STRING))
        g_signal_emit (self, signals[FOCUS], 0,
                       JSON_NODE_HOLDS_NULL (window) ? 0 : (guint64) MAX (json_node_get_int (window), 0),
                       title != NULL && !JSON_NODE_HOLDS_NULL (title) ? json_node_get_string (title) : NULL);
      else
        g_debug ("Ignoring a malformed focus event");
    }
  else if (g_strcmp0 (type, "display") == 0)
    {
      const char *state = NULL;

      if (_viv_json_get_string (event, "state", TRUE, &state, NULL))
        g_signal_emit (self, signals[DISPLAY], 0, state, event);
      else
        g_debug ("Ignoring a display event without a state");
    }

  g_signal_emit (self, signals[EVENT], g_quark_from_string (type), type, event);
}

/* Requests */

typedef struct
{
  char        *method;
  char        *path;
  GBytes      *body;
  SoupMessage *msg;
} RequestData;

static void
request_data_free (RequestData *data)
{
  g_free (data->method);
  g_free (data->path);
  g_clear_pointer (&data->body, g_bytes_unref);
  g_clear_object (&data->msg);
  g_free (data);
}

static void
request_sent_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  VivDesktop *self = g_task_get_source_object (task);
  GBytes *body;
  GError *error = NULL;

  if (!(body = _viv_client_send_finish (VIV_CLIENT (object), result, &error)))
    {
      /* A refused input call says who holds the desktop: keep up with it. */
      if (g_error_matches (error, VIV_ERROR, VIV_ERROR_LOCKED) &&
          viv_error_get_holder (error) != NULL)
        _viv_desktop_set_takeover (self, TRUE, viv_error_get_holder (error),
                                   viv_error_get_since (error));
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, body, (GDestroyNotify) g_bytes_unref);
}

static void
request_ready_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  VivSandbox *sandbox = VIV_SANDBOX (object);
  g_autoptr (GTask) task = user_data;
  RequestData *data = g_task_get_task_data (task);
  GCancellable *cancellable;
  GError *error = NULL;

  if (!_viv_sandbox_ensure_envd_finish (sandbox, result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (!(data->msg = _viv_sandbox_new_message (sandbox, data->method, VIV_ENVD_PORT, data->path)))
    {
      g_task_return_new_error (task, VIV_ERROR, VIV_ERROR_INVALID_ARGUMENT,
                               "The sandbox URL is not valid for %s", data->path);
      return;
    }

  if (data->body != NULL)
    soup_message_set_request_body_from_bytes (data->msg, "application/json", data->body);

  cancellable = g_task_get_cancellable (task);
  _viv_client_send_async (viv_sandbox_get_client (sandbox), data->msg, cancellable,
                          request_sent_cb, g_steal_pointer (&task));
}

/* Sends @method @path (with @body as JSON); the task's result is the answer's body. */
static void
request_async (VivDesktop          *self,
               const char          *method,
               const char          *path,
               JsonObject          *body,
               gpointer             source_tag,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  RequestData *data = g_new0 (RequestData, 1);

  g_task_set_source_tag (task, source_tag);
  data->method = g_strdup (method);
  data->path = g_strdup (path);
  if (body != NULL)
    {
      char *json = _viv_json_object_to_string (body);

      data->body = g_bytes_new_take (json, strlen (json));
    }
  g_task_set_task_data (task, data, (GDestroyNotify) request_data_free);

  _viv_sandbox_ensure_envd_async (self->sandbox, cancellable, request_ready_cb,
                                  g_steal_pointer (&task));
}

static GBytes *
request_finish (VivDesktop    *self,
                GAsyncResult  *result,
                gpointer       source_tag,
                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static JsonObject *
request_finish_object (VivDesktop    *self,
                       GAsyncResult  *result,
                       gpointer       source_tag,
                       GError       **error)
{
  g_autoptr (GBytes) body = request_finish (self, result, source_tag, error);

  if (body == NULL)
    return NULL;
  return _viv_json_parse_object (body, error);
}

static gboolean
request_finish_position (VivDesktop    *self,
                         GAsyncResult  *result,
                         gpointer       source_tag,
                         int           *x,
                         int           *y,
                         GError       **error)
{
  g_autoptr (JsonObject) object = request_finish_object (self, result, source_tag, error);
  gint64 px = 0, py = 0;

  if (object == NULL ||
      !_viv_json_get_int (object, "x", TRUE, &px, error) ||
      !_viv_json_get_int (object, "y", TRUE, &py, error))
    return FALSE;

  if (x != NULL)
    *x = CLAMP (px, G_MININT, G_MAXINT);
  if (y != NULL)
    *y = CLAMP (py, G_MININT, G_MAXINT);
  return TRUE;
}

static gboolean
request_finish_boolean (VivDesktop    *self,
                        GAsyncResult  *result,
                        gpointer       source_tag,
                        GError       **error)
{
  g_autoptr (GBytes) body = request_finish (self, result, source_tag, error);

  return body != NULL;
}

static JsonObject *
button_body (VivPointerButton button)
{
  JsonObject *body = json_object_new ();

  json_object_set_string_member (body, "button", button_names[button]);
  return body;
}

static JsonArray *
point_array (int x,
             int y)
{
  JsonArray *array = json_array_new ();

  json_array_add_int_element (array, x);
  json_array_add_int_element (array, y);
  return array;
}

/* GObject */

static void
viv_desktop_dispose (GObject *object)
{
  VivDesktop *self = (VivDesktop *)object;

  g_clear_object (&self->sandbox);

  G_OBJECT_CLASS (viv_desktop_parent_class)->dispose (object);
}

static void
viv_desktop_finalize (GObject *object)
{
  VivDesktop *self = (VivDesktop *)object;

  g_clear_pointer (&self->takeover_holder, g_free);
  g_clear_pointer (&self->takeover_since, g_date_time_unref);

  G_OBJECT_CLASS (viv_desktop_parent_class)->finalize (object);
}

static void
viv_desktop_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  VivDesktop *self = VIV_DESKTOP (object);

  switch (prop_id)
    {
    case PROP_SANDBOX:
      g_value_set_object (value, self->sandbox);
      break;
    case PROP_TAKEOVER_HELD:
      g_value_set_boolean (value, self->takeover_held);
      break;
    case PROP_TAKEOVER_HOLDER:
      g_value_set_string (value, self->takeover_holder);
      break;
    case PROP_TAKEOVER_SINCE:
      g_value_set_boxed (value, self->takeover_since);
      break;
    case PROP_EVENTS_CONNECTED:
      g_value_set_boolean (value, self->events_connected);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_desktop_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  VivDesktop *self = VIV_DESKTOP (object);

  switch (prop_id)
    {
    case PROP_SANDBOX:
      self->sandbox = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_desktop_class_init (VivDesktopClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = viv_desktop_dispose;
  object_class->finalize = viv_desktop_finalize;
  object_class->get_property = viv_desktop_get_property;
  object_class->set_property = viv_desktop_set_property;

  /**
   * VivDesktop:sandbox:
   *
   * The sandbox whose desktop this is.
   */
  properties[PROP_SANDBOX] =
    g_param_spec_object ("sandbox", NULL, NULL,
                         VIV_TYPE_SANDBOX,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * VivDesktop:takeover-held:
   *
   * Whether a human holds the desktop, as last heard from the guest (an
   * answer, a refused input call or a takeover event).
   */
  properties[PROP_TAKEOVER_HELD] =
    g_param_spec_boolean ("takeover-held", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * VivDesktop:takeover-holder:
   *
   * Who holds the desktop, or %NULL.
   */
  properties[PROP_TAKEOVER_HOLDER] =
    g_param_spec_string ("takeover-holder", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * VivDesktop:takeover-since:
   *
   * Since when the desktop is held, or %NULL.
   */
  properties[PROP_TAKEOVER_SINCE] =
    g_param_spec_boxed ("takeover-since", NULL, NULL, G_TYPE_DATE_TIME,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * VivDesktop:events-connected:
   *
   * Whether [method@Viv.Desktop.watch_events_async] is connected to the
   * guest's event stream right now (%FALSE while it reconnects).
   */
  properties[PROP_EVENTS_CONNECTED] =
    g_param_spec_boolean ("events-connected", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * VivDesktop::event:
   * @self: the desktop
   * @type: the event's type (`action`, `takeover`, `focus`, `display`,
   *   `session`, `viewer`, ...), also the signal's detail
   * @event: the whole event: `id`, `type`, `time` and its own members
   *
   * Emitted for every event of the guest's stream, after the signal of its
   * type when it has one.
   */
  signals[EVENT] =
    g_signal_new ("event",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  JSON_TYPE_OBJECT);

  /**
   * VivDesktop::action:
   * @self: the desktop
   * @action: what was done (`move`, `click`, `mouse_down`, `mouse_up`, `drag`,
   *   `scroll`, `type`, `keys`, `set_clipboard`, `launch`, `open`, ...)
   * @ok: whether it was done (%FALSE when refused: bad input, a takeover)
   * @event: the whole event (`x`, `y`, `button`, `text`, `keys`, `error`, ...)
   *
   * An input call reached the desktop (from an agent or from this library).
   */
  signals[ACTION] =
    g_signal_new ("action",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_BOOLEAN,
                  JSON_TYPE_OBJECT);

  /**
   * VivDesktop::takeover:
   * @self: the desktop
   * @held: whether a human holds the desktop now
   * @holder: (nullable): who
   * @since: (nullable): since when
   *
   * The takeover lock changed hands; the takeover properties already say so.
   */
  signals[TAKEOVER] =
    g_signal_new ("takeover",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  G_TYPE_BOOLEAN,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_DATE_TIME);

  /**
   * VivDesktop::focus:
   * @self: the desktop
   * @window: the focused window's id, 0 when none is
   * @title: (nullable): its title
   *
   * Another window got the focus.
   */
  signals[FOCUS] =
    g_signal_new ("focus",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2,
                  G_TYPE_UINT64,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * VivDesktop::display:
   * @self: the desktop
   * @state: the display's state (`starting`, `ready`, `restarting`,
   *   `failed`, `stopped`)
   * @event: the whole event (`display`, `restarts`, `reason`, ...)
   *
   * The guest's X display changed state.
   */
  signals[DISPLAY] =
    g_signal_new ("display",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  JSON_TYPE_OBJECT);
}

static void
viv_desktop_init (VivDesktop *self)
{
}

/**
 * viv_desktop_new:
 * @sandbox: a sandbox running vivarium-guest
 *
 * Returns: (transfer full): the desktop of @sandbox
 */
VivDesktop *
viv_desktop_new (VivSandbox *sandbox)
{
  g_return_val_if_fail (VIV_IS_SANDBOX (sandbox), NULL);

  return g_object_new (VIV_TYPE_DESKTOP, "sandbox", sandbox, NULL);
}

/**
 * viv_desktop_get_sandbox:
 *
 * Returns: (transfer none): the sandbox
 */
VivSandbox *
viv_desktop_get_sandbox (VivDesktop *self)
{
  g_return_val_if_fail (VIV_IS_DESKTOP (self), NULL);
  return self->sandbox;
}

/**
 * viv_desktop_get_takeover_held:
 *
 * Returns: the value of [property@Viv.Desktop:takeover-held]
 */
gboolean
viv_desktop_get_takeover_held (VivDesktop *self)
{
  g_return_val_if_fail (VIV_IS_DESKTOP (self), FALSE);
  return self->takeover_held;
}

/**
 * viv_desktop_get_takeover_holder:
 *
 * Returns: (nullable): the value of [property@Viv.Desktop:takeover-holder]
 */
const char *
viv_desktop_get_takeover_holder (VivDesktop *self)
{
  g_return_val_if_fail (VIV_IS_DESKTOP (self), NULL);
  return self->takeover_holder;
}

/**
 * viv_desktop_get_takeover_since:
 *
 * Returns: (nullable) (transfer none): the value of
 *   [property@Viv.Desktop:takeover-since]
 */
GDateTime *
viv_desktop_get_takeover_since (VivDesktop *self)
{
  g_return_val_if_fail (VIV_IS_DESKTOP (self), NULL);
  return self->takeover_since;
}

/**
 * viv_desktop_get_events_connected:
 *
 * Returns: the value of [property@Viv.Desktop:events-connected]
 */
gboolean
viv_desktop_get_events_connected (VivDesktop *self)
{
  g_return_val_if_fail (VIV_IS_DESKTOP (self), FALSE);
  return self->events_connected;
}

/* Takeover */

static gboolean
takeover_finish (VivDesktop    *self,
                 GAsyncResult  *result,
                 gpointer       source_tag,
                 GError       **error)
{
  g_autoptr (JsonObject) state = NULL;
  GError *local_error = NULL;

  if (!(state = request_finish_object (self, result, source_tag, &local_error)))
    {
      /* A refused takeover says who holds it instead. */
      if (g_error_matches (local_error, VIV_ERROR, VIV_ERROR_CONFLICT) &&
          viv_error_get_holder (local_error) != NULL)
        _viv_desktop_set_takeover (self, TRUE, viv_error_get_holder (local_error),
                                   viv_error_get_since (local_error));
      g_propagate_error (error, local_error);
      return FALSE;
    }

  return take_takeover_json (self, state, error);
}

/**
 * viv_desktop_acquire_takeover_async:
 * @holder: who takes the desktop over (1 to 256 bytes), shown to others
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Takes the desktop over for a human (`POST /desktop/takeover`): until it is
 * released, agents' input calls fail with %VIV_ERROR_LOCKED and only VNC
 * viewers opened with the same holder send input. Taking it again as the
 * same holder is fine; while someone else holds it, this fails with
 * %VIV_ERROR_CONFLICT naming them ([func@Viv.Error.get_holder]).
 */
void
viv_desktop_acquire_takeover_async (VivDesktop          *self,
                                    const char          *holder,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr (JsonObject) body = json_object_new ();

  g_return_if_fail (VIV_IS_DESKTOP (self));
  g_return_if_fail (holder != NULL);

  json_object_set_string_member (body, "holder", holder);
  request_async (self, "POST", "/desktop/takeover", body, viv_desktop_acquire_takeover_async,
                 cancellable, callback, user_data);
}

/**
 * viv_desktop_acquire_takeover_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the desktop is now held by the holder asked for; the
 *   takeover properties say since when
 */
gboolean
viv_desktop_acquire_takeover_finish (VivDesktop    *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return takeover_finish (self, result, viv_desktop_acquire_takeover_async, error);
}

/**
 * viv_desktop_release_takeover_async:
 * @holder: (nullable): release only when this holder holds it, so that a late
 *   release cannot end someone else's takeover; %NULL releases anyone's
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Hands the desktop back to the agents (`DELETE /desktop/takeover`). Fails
 * with %VIV_ERROR_CONFLICT when someone other than @holder holds it.
 */
void
viv_desktop_release_takeover_async (VivDesktop          *self,
                                    const char          *holder,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (VIV_IS_DESKTOP (self));

  if (holder != NULL)
    {
      g_autofree char *escaped = g_uri_escape_string (holder, NULL, FALSE);

      path = g_strconcat ("/desktop/takeover?holder=", escaped, NULL);
    }

  request_async (self, "DELETE", path ? path : "/desktop/takeover", NULL,
                 viv_desktop_release_takeover_async, cancellable, callback, user_data);
}

/**
 * viv_desktop_release_takeover_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the desktop is free now
 */
gboolean
viv_desktop_release_takeover_finish (VivDesktop    *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return takeover_finish (self, result, viv_desktop_release_takeover_async, error);
}

/**
 * viv_desktop_query_takeover_async:
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Asks the guest who holds the desktop (`GET /desktop/takeover`); the answer
 * lands in the takeover properties.
 */
void
viv_desktop_query_takeover_async (VivDesktop          *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (VIV_IS_DESKTOP (self));

  request_async (self, "GET", "/desktop/takeover", NULL, viv_desktop_query_takeover_async,
                 cancellable, callback, user_data);
}

/**
 * viv_desktop_query_takeover_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the takeover properties are up to date now
 */
gboolean
viv_desktop_query_takeover_finish (VivDesktop    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  return takeover_finish (self, result, viv_desktop_query_takeover_async, error);
}

/* Screen */

/**
 * viv_desktop_screenshot_async:
 * @format: PNG or JPEG
 * @quality: the JPEG quality (1 to 100), or 0 for the guest's default (80)
 * @x: the region's left edge
 * @y: the region's top edge
 * @width: the region's width, or 0 for the whole screen
 * @height: the region's height, or 0 for the whole screen
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the image
 * @user_data: data for @callback
 *
 * Takes a screenshot (`GET /desktop/screenshot`) of the whole screen or of a
 * region, which must lie inside the screen (%VIV_ERROR_INVALID_ARGUMENT
 * otherwise).
 */
void
viv_desktop_screenshot_async (VivDesktop          *self,
                              VivImageFormat       format,
                              guint                quality,
                              int                  x,
                              int                  y,
                              int                  width,
                              int                  height,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GString) path = g_string_new ("/desktop/screenshot?format=");

  g_return_if_fail (VIV_IS_DESKTOP (self));
  g_return_if_fail (format == VIV_IMAGE_FORMAT_PNG || format == VIV_IMAGE_FORMAT_JPEG);
  g_return_if_fail (quality <= 100);

  g_string_append (path, format == VIV_IMAGE_FORMAT_JPEG ? "jpeg" : "png");
  if (format == VIV_IMAGE_FORMAT_JPEG && quality > 0)
    g_string_append_printf (path, "&quality=%u", quality);
  if (width > 0 || height > 0)
    g_string_append_printf (path, "&x=%d&y=%d&width=%d&height=%d", x, y, width, height);

  request_async (self, "GET", path->str, NULL, viv_desktop_screenshot_async,
                 cancellable, callback, user_data);
}

/**
 * viv_desktop_screenshot_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full): the encoded image (PNG or JPEG bytes)
 */
GBytes *
viv_desktop_screenshot_finish (VivDesktop    *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_autoptr (GBytes) body = request_finish (self, result, viv_desktop_screenshot_async, error);
  RequestData *data;
  const char *content_type;

  if (body == NULL)
    return NULL;

  data = g_task_get_task_data (G_TASK (result));
  content_type = soup_message_headers_get_content_type (soup_message_get_response_headers (data->msg), NULL);
  if (g_strcmp0 (content_type, "image/png") != 0 && g_strcmp0 (content_type, "image/jpeg") != 0)
    {
      g_set_error (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                   "The guest answered a screenshot with “%s” instead of an image",
                   content_type ? content_type : "no content type");
      return NULL;
    }

  return g_steal_pointer (&body);
}

/**
 * viv_desktop_get_screen_size_async:
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the size
 * @user_data: data for @callback
 *
 * Asks for the screen's size in pixels (`GET /desktop/screen`).
 */
void
viv_desktop_get_screen_size_async (VivDesktop          *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (VIV_IS_DESKTOP (self));

  request_async (self, "GET", "/desktop/screen", NULL, viv_desktop_get_screen_size_async,
                 cancellable, callback, user_data);
}

/**
 * viv_desktop_get_screen_size_finish:
 * @result: the result
 * @width: (out) (optional): the width
 * @height: (out) (optional): the height
 * @error: return location for an error
 *
 * Returns: whether the size is known
 */
gboolean
viv_desktop_get_screen_size_finish (VivDesktop    *self,
                                    GAsyncResult  *result,
                                    int           *width,
                                    int           *height,
                                    GError       **error)
{
  g_autoptr (JsonObject) object =
    request_finish_object (self, result, viv_desktop_get_screen_size_async, error);
  gint64 w = 0, h = 0;

  if (object == NULL ||
      !_viv_json_get_int (object, "width", TRUE, &w, error) ||
      !_viv_json_get_int (object, "height", TRUE, &h, error))
    return FALSE;

  if (w <= 0 || h <= 0 || w > G_MAXINT || h > G_MAXINT)
    {
      g_set_error_literal (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                           "The guest answered an impossible screen size");
      return FALSE;
    }

  if (width != NULL)
    *width = w;
  if (height != NULL)
    *height = h;
  return TRUE;
}

/* Pointer */

/**
 * viv_desktop_move_pointer_async:
 * @x: where to, from the left edge
 * @y: where to, from the top edge
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Moves the pointer (`POST /desktop/pointer/move`).
 */
void
viv_desktop_move_pointer_async (VivDesktop          *self,
                                int                  x,
                                int                  y,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr (JsonObject) body = json_object_new ();

  g_return_if_fail (VIV_IS_DESKTOP (self));

  json_object_set_int_member (body, "x", x);
  json_object_set_int_member (body, "y", y);
  request_async (self, "POST", "/desktop/pointer/move", body, viv_desktop_move_pointer_async,
                 cancellable, callback, user_data);
}

/**
 * viv_desktop_move_pointer_finish:
 * @result: the result
 * @x: (out) (optional): where the pointer is now
 * @y: (out) (optional): where the pointer is now
 * @error: return location for an error
 *
 * Returns: whether the pointer moved
 */
gboolean
viv_desktop_move_pointer_finish (VivDesktop    *self,
                                 GAsyncResult  *result,
                                 int           *x,
                                 int           *y,
                                 GError       **error)
{
  return request_finish_position (self, result, viv_desktop_move_pointer_async, x, y, error);
}

/**
 * viv_desktop_click_async:
 * @x: where to click, or -1 to click where the pointer is
 * @y: where to click, or -1 to click where the pointer is
 * @button: the button
 * @count: how many clicks (1 to 100; 2 is a double click)
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Clicks (`POST /desktop/pointer/click`), moving the pointer first when a
 * point is given.
 */
void
viv_desktop_click_async (VivDesktop          *self,
                         int                  x,
                         int                  y,
                         VivPointerButton     button,
                         guint                count,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr (JsonObject) body = NULL;

  g_return_if_fail (VIV_IS_DESKTOP (self));
  g_return_if_fail (button <= VIV_POINTER_BUTTON_RIGHT);

  body = button_body (button);
  if (x >= 0 && y >= 0)
    {
      json_object_set_int_member (body, "x", x);
      json_object_set_int_member (body, "y", y);
    }
  json_object_set_int_member (body, "count", count);
  request_async (self, "POST", "/desktop/pointer/click", body, viv_desktop_click_async,
                 cancellable, callback, user_data);
}

/**
 * viv_desktop_click_finish:
 * @result: the result
 * @x: (out) (optional): where the pointer is now
 * @y: (out) (optional): where the pointer is now
 * @error: return location for an error
 *
 * Returns: whether the click was done
 */
gboolean
viv_desktop_click_finish (VivDesktop    *self,
                          GAsyncResult  *result,
                          int           *x,
                          int           *y,
                          GError       **error)
{
  return request_finish_position (self, result, viv_desktop_click_async, x, y, error);
}

/**
 * viv_desktop_press_button_async:
 * @button: the button
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Presses a button where the pointer is and keeps it down
 * (`POST /desktop/pointer/press`).
 */
void
viv_desktop_press_button_async (VivDesktop          *self,
                                VivPointerButton     button,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr (JsonObject) body = NULL;

  g_return_if_fail (VIV_IS_DESKTOP (self));
  g_return_if_fail (button <= VIV_POINTER_BUTTON_RIGHT);

  body = button_body (button);
  request_async (self, "POST", "/desktop/pointer/press", body, viv_desktop_press_button_async,
                 cancellable, callback, user_data);
}

/**
 * viv_desktop_press_button_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the button is down
 */
gboolean
viv_desktop_press_button_finish (VivDesktop    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return request_finish_position (self, result, viv_desktop_press_button_async, NULL, NULL, error);
}

/**
 * viv_desktop_release_button_async:
 * @button: the button
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Releases a button (`POST /desktop/pointer/release`).
 */
void
viv_desktop_release_button_async (VivDesktop          *self,
                                  VivPointerButton     button,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr (JsonObject) body = NULL;

  g_return_if_fail (VIV_IS_DESKTOP (self));
  g_return_if_fail (button <= VIV_POINTER_BUTTON_RIGHT);

  body = button_body (button);
  request_async (self, "POST", "/desktop/pointer/release", body, viv_desktop_release_button_async,
                 cancellable, callback, user_data);
}

/**
 * viv_desktop_release_button_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the button is up
 */
gboolean
viv_desktop_release_button_finish (VivDesktop    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  return request_finish_position (self, result, viv_desktop_release_button_async, NULL, NULL, error);
}

/**
 * viv_desktop_drag_async:
 * @from_x: where to press
 * @from_y: where to press
 * @to_x: where to release
 * @to_y: where to release
 * @button: the button
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Drags (`POST /desktop/pointer/drag`): presses at one point, moves in steps
 * and releases at the other.
 */
void
viv_desktop_drag_async (VivDesktop          *self,
                        int                  from_x,
                        int                  from_y,
                        int                  to_x,
                        int                  to_y,
                        VivPointerButton     button,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr (JsonObject) body = NULL;

  g_return_if_fail (VIV_IS_DESKTOP (self));
  g_return_if_fail (button <= VIV_POINTER_BUTTON_RIGHT);

  body = button_body (button);
  json_object_set_array_member (body, "from", point_array (from_x, from_y));
  json_object_set_array_member (body, "to", point_array (to_x, to_y));
  request_async (self, "POST", "/desktop/pointer/drag", body, viv_desktop_drag_async,
                 cancellable, callback, user_data);
}

/**
 * viv_desktop_drag_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the drag was done
 */
gboolean
viv_desktop_drag_finish (VivDesktop    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  return request_finish_position (self, result, viv_desktop_drag_async, NULL, NULL, error);
}

/**
 * viv_desktop_scroll_async:
 * @direction: which way
 * @amount: how many wheel steps (at least 1)
 * @x: where to scroll, or -1 to scroll where the pointer is
 * @y: where to scroll, or -1 to scroll where the pointer is
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Turns the wheel (`POST /desktop/pointer/scroll`).
 */
void
viv_desktop_scroll_async (VivDesktop          *self,
                          VivScrollDirection   direction,
                          guint                amount,
                          int                  x,
                          int                  y,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr (JsonObject) body = json_object_new ();

  g_return_if_fail (VIV_IS_DESKTOP (self));
  g_return_if_fail (direction <= VIV_SCROLL_DIRECTION_RIGHT);

  json_object_set_string_member (body, "direction", direction_names[direction]);
  json_object_set_int_member (body, "amount", amount);
  if (x >= 0 && y >= 0)
    {
      json_object_set_int_member (body, "x", x);
      json_object_set_int_member (body, "y", y);
    }
  request_async (self, "POST", "/desktop/pointer/scroll", body, viv_desktop_scroll_async,
                 cancellable, callback, user_data);
}

/**
 * viv_desktop_scroll_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the wheel turned
 */
gboolean
viv_desktop_scroll_finish (VivDesktop    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  return request_finish_position (self, result, viv_desktop_scroll_async, NULL, NULL, error);
}

/* Keyboard */

/**
 * viv_desktop_type_text_async:
 * @text: any Unicode text; `\n` types Return and `\t` Tab
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Types text whatever the keymap (`POST /desktop/keyboard/type`). Other
 * control characters are refused (%VIV_ERROR_INVALID_ARGUMENT) before
 * anything is typed.
 */
void
viv_desktop_type_text_async (VivDesktop          *self,
                             const char          *text,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr (JsonObject) body = json_object_new ();

  g_return_if_fail (VIV_IS_DESKTOP (self));
  g_return_if_fail (text != NULL);

  json_object_set_string_member (body, "text", text);
  request_async (self, "POST", "/desktop/keyboard/type", body, viv_desktop_type_text_async,
                 cancellable, callback, user_data);
}

/**
 * viv_desktop_type_text_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the text was typed
 */
gboolean
viv_desktop_type_text_finish (VivDesktop    *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  return request_finish_boolean (self, result, viv_desktop_type_text_async, error);
}

/**
 * viv_desktop_press_keys_async:
 * @keys: (array zero-terminated=1): key names, pressed in order and released
 *   in reverse: E2B's names (`ctrl`, `enter`, `page_up`, `f5`, ...), X keysym
 *   names or single characters
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Presses a key combination (`POST /desktop/keyboard/press`); an unknown
 * name is %VIV_ERROR_INVALID_ARGUMENT naming it.
 */
void
viv_desktop_press_keys_async (VivDesktop          *self,
                              const char * const  *keys,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (JsonObject) body = json_object_new ();
  JsonArray *array = json_array_new ();

  g_return_if_fail (VIV_IS_DESKTOP (self));
  g_return_if_fail (keys != NULL && keys[0] != NULL);

  for (guint i = 0; keys[i] != NULL; i++)
    json_array_add_string_element (array, keys[i]);
  json_object_set_array_member (body, "keys", array);
  request_async (self, "POST", "/desktop/keyboard/press", body, viv_desktop_press_keys_async,
                 cancellable, callback, user_data);
}

/**
 * viv_desktop_press_keys_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the keys were pressed
 */
gboolean
viv_desktop_press_keys_finish (VivDesktop    *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return request_finish_boolean (self, result, viv_desktop_press_keys_async, error);
}

/* Windows */

/**
 * viv_desktop_list_windows_async:
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the windows
 * @user_data: data for @callback
 *
 * Lists the top-level windows (`GET /desktop/windows`).
 */
void
viv_desktop_list_windows_async (VivDesktop          *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (VIV_IS_DESKTOP (self));

  request_async (self, "GET", "/desktop/windows", NULL, viv_desktop_list_windows_async,
                 cancellable, callback, user_data);
}

/**
 * viv_desktop_list_windows_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer container) (element-type VivDesktopWindow): the windows
 */
GPtrArray *
viv_desktop_list_windows_finish (VivDesktop    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_autoptr (GBytes) body = request_finish (self, result, viv_desktop_list_windows_async, error);
  g_autoptr (JsonArray) array = NULL;
  g_autoptr (GPtrArray) windows = g_ptr_array_new_with_free_func ((GDestroyNotify) viv_desktop_window_unref);

  if (body == NULL || !(array = _viv_json_parse_array (body, error)))
    return NULL;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      VivDesktopWindow *window;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          g_set_error (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                       "Window %u of the listing is not a JSON object", i);
          return NULL;
        }
      if (!(window = _viv_desktop_window_new_from_json (json_node_get_object (element), error)))
        return NULL;
      g_ptr_array_add (windows, window);
    }

  return g_steal_pointer (&windows);
}

/**
 * viv_desktop_get_focused_window_async:
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the window
 * @user_data: data for @callback
 *
 * Asks for the focused window (`GET /desktop/windows/focused`);
 * %VIV_ERROR_NOT_FOUND when no window has the focus.
 */
void
viv_desktop_get_focused_window_async (VivDesktop          *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (VIV_IS_DESKTOP (self));

  request_async (self, "GET", "/desktop/windows/focused", NULL,
                 viv_desktop_get_focused_window_async, cancellable, callback, user_data);
}

/**
 * viv_desktop_get_focused_window_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full): the focused window
 */
VivDesktopWindow *
viv_desktop_get_focused_window_finish (VivDesktop    *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_autoptr (JsonObject) object =
    request_finish_object (self, result, viv_desktop_get_focused_window_async, error);

  if (object == NULL)
    return NULL;
  return _viv_desktop_window_new_from_json (object, error);
}

static void
window_action_async (VivDesktop          *self,
                     guint64              window_id,
                     const char          *action,
                     gpointer             source_tag,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autofree char *path = g_strdup_printf ("/desktop/windows/%" G_GUINT64_FORMAT "/%s",
                                           window_id, action);

  request_async (self, "POST", path, NULL, source_tag, cancellable, callback, user_data);
}

/**
 * viv_desktop_focus_window_async:
 * @window_id: the window ([method@Viv.DesktopWindow.get_id])
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Activates a window (`POST /desktop/windows/ID/focus`);
 * %VIV_ERROR_NOT_FOUND for an unknown window.
 */
void
viv_desktop_focus_window_async (VivDesktop          *self,
                                guint64              window_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (VIV_IS_DESKTOP (self));

  window_action_async (self, window_id, "focus", viv_desktop_focus_window_async,
                       cancellable, callback, user_data);
}

/**
 * viv_desktop_focus_window_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the window was activated
 */
gboolean
viv_desktop_focus_window_finish (VivDesktop    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return request_finish_boolean (self, result, viv_desktop_focus_window_async, error);
}

/**
 * viv_desktop_close_window_async:
 * @window_id: the window ([method@Viv.DesktopWindow.get_id])
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Asks a window to close (`POST /desktop/windows/ID/close`), as the window
 * manager's close button would.
 */
void
viv_desktop_close_window_async (VivDesktop          *self,
                                guint64              window_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (VIV_IS_DESKTOP (self));

  window_action_async (self, window_id, "close", viv_desktop_close_window_async,
                       cancellable, callback, user_data);
}

/**
 * viv_desktop_close_window_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the window was asked to close
 */
gboolean
viv_desktop_close_window_finish (VivDesktop    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return request_finish_boolean (self, result, viv_desktop_close_window_async, error);
}

/* Clipboard */

/**
 * viv_desktop_get_clipboard_async:
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the text
 * @user_data: data for @callback
 *
 * Reads the CLIPBOARD selection as text (`GET /desktop/clipboard`);
 * %VIV_ERROR_TIMEOUT when its owner does not answer.
 */
void
viv_desktop_get_clipboard_async (VivDesktop          *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (VIV_IS_DESKTOP (self));

  request_async (self, "GET", "/desktop/clipboard", NULL, viv_desktop_get_clipboard_async,
                 cancellable, callback, user_data);
}

/**
 * viv_desktop_get_clipboard_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full): the clipboard's text, empty when nobody owns it
 */
char *
viv_desktop_get_clipboard_finish (VivDesktop    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_autoptr (JsonObject) object =
    request_finish_object (self, result, viv_desktop_get_clipboard_async, error);
  const char *text = NULL;

  if (object == NULL || !_viv_json_get_string (object, "text", TRUE, &text, error))
    return NULL;
  return g_strdup (text);
}

/**
 * viv_desktop_set_clipboard_async:
 * @text: the text to copy
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Puts text on the CLIPBOARD selection (`PUT /desktop/clipboard`), for the
 * sandbox's apps to paste.
 */
void
viv_desktop_set_clipboard_async (VivDesktop          *self,
                                 const char          *text,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr (JsonObject) body = json_object_new ();

  g_return_if_fail (VIV_IS_DESKTOP (self));
  g_return_if_fail (text != NULL);

  json_object_set_string_member (body, "text", text);
  request_async (self, "PUT", "/desktop/clipboard", body, viv_desktop_set_clipboard_async,
                 cancellable, callback, user_data);
}

/**
 * viv_desktop_set_clipboard_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the guest owns the clipboard with the text now
 */
gboolean
viv_desktop_set_clipboard_finish (VivDesktop    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return request_finish_boolean (self, result, viv_desktop_set_clipboard_async, error);
}

/* Apps */

/**
 * viv_desktop_launch_async:
 * @app_id: the app's desktop id (`org.gnome.TextEditor`; `.desktop` may be
 *   left out)
 * @uri: (nullable): a file or URL to open with it
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when started
 * @user_data: data for @callback
 *
 * Starts an installed app (`POST /desktop/launch`), like `gtk-launch`;
 * %VIV_ERROR_NOT_FOUND when it is not installed.
 */
void
viv_desktop_launch_async (VivDesktop          *self,
                          const char          *app_id,
                          const char          *uri,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr (JsonObject) body = json_object_new ();

  g_return_if_fail (VIV_IS_DESKTOP (self));
  g_return_if_fail (app_id != NULL);

  json_object_set_string_member (body, "app", app_id);
  if (uri != NULL)
    json_object_set_string_member (body, "uri", uri);
  request_async (self, "POST", "/desktop/launch", body, viv_desktop_launch_async,
                 cancellable, callback, user_data);
}

/**
 * viv_desktop_launch_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: the started process's id, 0 when the app was started through
 *   D-Bus activation, or -1 on error
 */
gint64
viv_desktop_launch_finish (VivDesktop    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_autoptr (JsonObject) object = request_finish_object (self, result, viv_desktop_launch_async, error);
  gint64 pid = 0;

  if (object == NULL || !_viv_json_get_int (object, "pid", FALSE, &pid, error))
    return -1;
  return MAX (pid, 0);
}

/**
 * viv_desktop_open_async:
 * @target: a path in the sandbox or a URL
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when opened
 * @user_data: data for @callback
 *
 * Opens a file or URL with its default app (`POST /desktop/open`), like
 * `xdg-open`; %VIV_ERROR_NOT_FOUND for a missing file or when no app opens it.
 */
void
viv_desktop_open_async (VivDesktop          *self,
                        const char          *target,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr (JsonObject) body = json_object_new ();

  g_return_if_fail (VIV_IS_DESKTOP (self));
  g_return_if_fail (target != NULL);

  json_object_set_string_member (body, "target", target);
  request_async (self, "POST", "/desktop/open", body, viv_desktop_open_async,
                 cancellable, callback, user_data);
}

/**
 * viv_desktop_open_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether it was opened
 */
gboolean
viv_desktop_open_finish (VivDesktop    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  return request_finish_boolean (self, result, viv_desktop_open_async, error);
}
