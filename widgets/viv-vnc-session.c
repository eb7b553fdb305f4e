/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "viv-vnc-session.h"

#define RECONNECT_FIRST_MS   500
#define RECONNECT_MAX_MS     30000
#define CONNECT_TIMEOUT_S    15

struct _VivVncSession
{
  GObject             parent_instance;

  VncConnection      *connection;
  VncBaseFramebuffer *framebuffer;
  GBytes             *pixels;
  int                 width;
  int                 height;
  gsize               stride;
  VncPixelFormat      local_format;

  VivDisplayState     state;
  char               *reason;
  char               *desktop_name;

  char               *password;
  gboolean            password_pending;
  gboolean            auth_failed;

  /* Reconnecting is only possible when we know where to connect. */
  char               *host;
  guint16             port;
  gboolean            by_host;
  guint               backoff_ms;
  guint               reconnect_source;
  GCancellable       *connect_cancellable;
  GSocketConnection  *socket_connection;

  /* A duplicate of the connection's fd, only to read TCP_INFO statistics. */
  int                 stats_fd;

  int                 jpeg_quality;
  int                 compression_level;
  gboolean            local_cursor;
};

enum {
  PROP_0,
  PROP_STATE,
  PROP_DESKTOP_NAME,
  N_PROPS
};

enum {
  DAMAGE,
  RESIZED,
  CURSOR_CHANGED,
  SERVER_CUT_TEXT,
  PASSWORD_NEEDED,
  LOST,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (VivVncSession, viv_vnc_session, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* gvnc 1.3.1 emits every signal (each framebuffer rectangle, every step of
 * the handshake) from a g_idle_add() callback at G_PRIORITY_DEFAULT_IDLE and
 * its coroutine waits until that idle ran. Anything that keeps a source at a
 * higher priority ready, such as a frame clock redrawing an animating
 * GtkSpinner at GDK_PRIORITY_REDRAW, starves those idles and the connection
 * stalls. gvnc offers no way to choose the priority, so while a session
 * exists a never-dispatched source, prepared first in every main-loop
 * iteration, raises the default-priority idles added since the last
 * iteration to GDK_PRIORITY_REDRAW: sources of equal priority are dispatched
 * in the same iteration, so neither side starves the other. Other code's
 * idles added meanwhile are raised too; at the redraw priority they still
 * cannot starve redraws. */
typedef struct
{
  GSource source;
  guint   scanned_id;
} IdleBooster;

static GSource *idle_booster;
static guint idle_booster_holds;

static gboolean
probe_prepare (GSource *source,
               int     *timeout)
{
  *timeout = -1;
  return FALSE;
}

static GSourceFuncs probe_funcs = { probe_prepare, NULL, NULL, NULL, NULL, NULL };

static gboolean
idle_booster_prepare (GSource *source,
                      int     *timeout)
{
  IdleBooster *booster = (IdleBooster *) source;
  GMainContext *context = g_source_get_context (source);
  /* Source ids grow by one per attached source: a probe gives the next one. */
  GSource *probe = g_source_new (&probe_funcs, sizeof (GSource));
  guint next_id = g_source_attach (probe, context);

  g_source_destroy (probe);
  g_source_unref (probe);

  if (next_id < booster->scanned_id)  /* wrapped around */
    booster->scanned_id = 0;
  for (guint id = booster->scanned_id + 1; id < next_id; id++)
    {
      GSource *found = g_main_context_find_source_by_id (context, id);

      if (found != NULL && found->source_funcs == &g_idle_funcs &&
          g_source_get_priority (found) == G_PRIORITY_DEFAULT_IDLE)
        g_source_set_priority (found, GDK_PRIORITY_REDRAW);
    }
  booster->scanned_id = next_id;

  *timeout = -1;
  return FALSE;
}

static GSourceFuncs idle_booster_funcs = { idle_booster_prepare, NULL, NULL, NULL, NULL, NULL };

static void
idle_booster_hold (void)
{
  if (idle_booster_holds++ > 0)
    return;
  idle_booster = g_source_new (&idle_booster_funcs, sizeof (IdleBooster));
  g_source_set_priority (idle_booster, G_PRIORITY_HIGH);
  g_source_set_static_name (idle_booster, "VivVncSession idle booster");
  ((IdleBooster *) idle_booster)->scanned_id = g_source_attach (idle_booster, NULL);
}

static void
idle_booster_release (void)
{
  if (--idle_booster_holds > 0)
    return;
  g_source_destroy (idle_booster);
  g_clear_pointer (&idle_booster, g_source_unref);
}

static void connect_host (VivVncSession *self);

static void
set_state (VivVncSession   *self,
           VivDisplayState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_reason (VivVncSession *self,
            const char    *reason)
{
  /* The first error explains a disconnection; later ones are consequences. */
  if (self->reason == NULL)
    self->reason = g_strdup (reason);
}

static void
forget_password (VivVncSession *self)
{
  if (self->password != NULL)
    {
      explicit_bzero (self->password, strlen (self->password));
      g_clear_pointer (&self->password, g_free);
    }
}

static void
drop_connection (VivVncSession *self)
{
  if (self->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->connection, self);
      /* gvnc holds its own reference until it has emitted vnc-disconnected. */
      if (vnc_connection_is_open (self->connection))
        vnc_connection_shutdown (self->connection);
      g_clear_object (&self->connection);
    }
  g_clear_object (&self->framebuffer);
  if (self->stats_fd >= 0)
    {
      close (self->stats_fd);
      self->stats_fd = -1;
    }
  if (self->socket_connection != NULL)
    {
      g_socket_close (g_socket_connection_get_socket (self->socket_connection), NULL);
      g_clear_object (&self->socket_connection);
    }
  self->password_pending = FALSE;
}

static void
rebuild_framebuffer (VivVncSession *self)
{
  const VncPixelFormat *remote = vnc_connection_get_pixel_format (self->connection);
  int width = vnc_connection_get_width (self->connection);
  int height = vnc_connection_get_height (self->connection);
  guint32 *pixels;

  if (self->framebuffer != NULL && width == self->width && height == self->height)
    {
      /* Same size: only the remote format may have changed. */
      const VncPixelFormat *current =
        vnc_framebuffer_get_remote_format (VNC_FRAMEBUFFER (self->framebuffer));

      if (vnc_pixel_format_match (current, remote))
        return;
    }

  self->width = width;
  self->height = height;
  self->stride = (gsize) width * 4;
  pixels = g_malloc ((gsize) self->stride * MAX (height, 1));
  /* Opaque black until the first update arrives. */
  for (gsize i = 0; i < (gsize) width * height; i++)
    pixels[i] = GUINT32_FROM_LE (0xff000000);
  g_clear_pointer (&self->pixels, g_bytes_unref);
  self->pixels = g_bytes_new_take (pixels, self->stride * MAX (height, 1));

  g_clear_object (&self->framebuffer);
  self->framebuffer = vnc_base_framebuffer_new ((guint8 *) pixels, width, height, self->stride,
                                                &self->local_format, remote);
  /* The framebuffer keeps its memory: a connection that was shut down lives
   * on until gvnc has emitted vnc-disconnected, holding the framebuffer,
   * and may still decode into it after we let go of both. */
  g_object_set_data_full (G_OBJECT (self->framebuffer), "viv-pixels",
                          g_bytes_ref (self->pixels), (GDestroyNotify) g_bytes_unref);
  vnc_connection_set_framebuffer (self->connection, VNC_FRAMEBUFFER (self->framebuffer));

  g_signal_emit (self, signals[RESIZED], 0, width, height);
}

static void
send_encodings (VivVncSession *self)
{
  gint32 encodings[24];
  int n = 0;

  if (self->connection == NULL || !vnc_connection_is_initialized (self->connection))
    return;

  /* Preference order for pixel data: Tight and ZRLE compress desktops well,
   * Hextile and Raw are the fallbacks every server has. */
  if (self->jpeg_quality >= 0)
    encodings[n++] = VNC_CONNECTION_ENCODING_TIGHT_JPEG0 + CLAMP (self->jpeg_quality, 0, 9);
  if (self->compression_level >= 0)
    encodings[n++] = -256 + CLAMP (self->compression_level, 0, 9);
  encodings[n++] = VNC_CONNECTION_ENCODING_TIGHT;
  encodings[n++] = VNC_CONNECTION_ENCODING_ZRLE;
  encodings[n++] = VNC_CONNECTION_ENCODING_HEXTILE;
  encodings[n++] = VNC_CONNECTION_ENCODING_COPY_RECT;
  encodings[n++] = VNC_CONNECTION_ENCODING_RAW;
  encodings[n++] = VNC_CONNECTION_ENCODING_EXTENDED_DESKTOP_RESIZE;
  encodings[n++] = VNC_CONNECTION_ENCODING_DESKTOP_RESIZE;
  encodings[n++] = VNC_CONNECTION_ENCODING_LAST_RECT;
  encodings[n++] = VNC_CONNECTION_ENCODING_DESKTOP_NAME;
  encodings[n++] = VNC_CONNECTION_ENCODING_POINTER_CHANGE;
  /* Without the cursor pseudo-encodings the server draws its cursor into the
   * pixels, which is what a watcher wants: the agent's pointer stays
   * visible. When the user takes over, the cursor is drawn locally so that
   * it follows the hand without a round trip. */
  if (self->local_cursor)
    {
      encodings[n++] = VNC_CONNECTION_ENCODING_ALPHA_CURSOR;
      encodings[n++] = VNC_CONNECTION_ENCODING_RICH_CURSOR;
      encodings[n++] = VNC_CONNECTION_ENCODING_XCURSOR;
    }
  /* ExtKeyEvent is left out on purpose: sandbox servers map keysyms, and
   * Xvnc ignores scancodes unless RawKeyboard is set. */

  vnc_connection_set_encodings (self->connection, n, encodings);
}

static void
connection_initialized_cb (VncConnection *connection,
                           VivVncSession *self)
{
  g_assert (VIV_IS_VNC_SESSION (self));

  /* The order matters (gtk-vnc's VncDisplay): the pixel format before any
   * update is outstanding, then the framebuffer, then the encodings. */
  vnc_connection_set_pixel_format (connection, &self->local_format);
  rebuild_framebuffer (self);
  send_encodings (self);
  vnc_connection_framebuffer_update_request (connection, FALSE, 0, 0, self->width, self->height);

  g_free (self->desktop_name);
  self->desktop_name = g_strdup (vnc_connection_get_name (connection));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DESKTOP_NAME]);

  self->backoff_ms = 0;
  g_clear_pointer (&self->reason, g_free);
  set_state (self, VIV_DISPLAY_STATE_CONNECTED);
}

static void
connection_framebuffer_update_cb (VncConnection *connection,
                                  int            x,
                                  int            y,
                                  int            width,
                                  int            height,
                                  VivVncSession *self)
{
  guint8 *data;

  g_assert (VIV_IS_VNC_SESSION (self));

  if (self->pixels == NULL)
    return;

  x = CLAMP (x, 0, self->width);
  y = CLAMP (y, 0, self->height);
  width = MIN (width, self->width - x);
  height = MIN (height, self->height - y);
  if (width <= 0 || height <= 0)
    return;

  /* Xvnc and x11vnc leave the padding byte of a 32-bit pixel at 0; GTK 4.8
   * has no X8 memory format, so make it an opaque alpha
   * (shared/spec/gtk4-vnc-notes.md 1.4). */
  data = (guint8 *) g_bytes_get_data (self->pixels, NULL);
  for (int row = y; row < y + height; row++)
    {
      guint8 *p = data + row * self->stride + (gsize) x * 4 + 3;

      for (int i = 0; i < width; i++, p += 4)
        *p = 0xff;
    }

  g_signal_emit (self, signals[DAMAGE], 0, x, y, width, height);
}

static void
connection_desktop_resize_cb (VncConnection *connection,
                              int            width,
                              int            height,
                              VivVncSession *self)
{
  g_assert (VIV_IS_VNC_SESSION (self));

  /* Xvnc repeats this signal with the same size during the handshake; the
   * rebuild is skipped then, but an update must always be requested or no
   * pixels ever arrive (gtk4-vnc-notes.md 1.6). */
  rebuild_framebuffer (self);
  vnc_connection_framebuffer_update_request (connection, FALSE, 0, 0, width, height);
}

static void
connection_pixel_format_changed_cb (VncConnection  *connection,
                                    VncPixelFormat *format,
                                    VivVncSession  *self)
{
  g_assert (VIV_IS_VNC_SESSION (self));

  rebuild_framebuffer (self);
  vnc_connection_framebuffer_update_request (connection, FALSE, 0, 0, self->width, self->height);
}

static void
connection_cursor_changed_cb (VncConnection *connection,
                              VncCursor     *cursor,
                              VivVncSession *self)
{
  g_signal_emit (self, signals[CURSOR_CHANGED], 0, cursor);
}

static void
connection_server_cut_text_cb (VncConnection *connection,
                               const char    *text,
                               VivVncSession *self)
{
  g_signal_emit (self, signals[SERVER_CUT_TEXT], 0, text);
}

static void
connection_desktop_rename_cb (VncConnection *connection,
                              const char    *name,
                              VivVncSession *self)
{
  if (g_strcmp0 (name, self->desktop_name) == 0)
    return;
  g_free (self->desktop_name);
  self->desktop_name = g_strdup (name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DESKTOP_NAME]);
}

G_GNUC_BEGIN_IGNORE_DEPRECATIONS

static void
connection_auth_choose_type_cb (VncConnection *connection,
                                GValueArray   *types,
                                VivVncSession *self)
{
  static const guint preferred[] = { VNC_CONNECTION_AUTH_NONE, VNC_CONNECTION_AUTH_VNC };

  g_assert (VIV_IS_VNC_SESSION (self));

  for (guint p = 0; p < G_N_ELEMENTS (preferred); p++)
    for (guint i = 0; i < types->n_values; i++)
      if (g_value_get_enum (g_value_array_get_nth (types, i)) == (int) preferred[p])
        {
          vnc_connection_set_auth_type (connection, preferred[p]);
          return;
        }

  /* gvnc waits for an answer forever, so refuse explicitly. */
  set_reason (self, _("The server offers no supported authentication (none or VNC password)"));
  self->auth_failed = TRUE;
  vnc_connection_shutdown (connection);
}

static void
connection_auth_credential_cb (VncConnection *connection,
                               GValueArray   *credentials,
                               VivVncSession *self)
{
  g_assert (VIV_IS_VNC_SESSION (self));

  for (guint i = 0; i < credentials->n_values; i++)
    {
      int credential = g_value_get_enum (g_value_array_get_nth (credentials, i));

      switch (credential)
        {
        case VNC_CONNECTION_CREDENTIAL_PASSWORD:
          if (self->password != NULL)
            vnc_connection_set_credential (connection, credential, self->password);
          else if (!self->password_pending)
            {
              /* Answered later by viv_vnc_session_set_password(); gvnc polls
               * for the credential on every main loop iteration. */
              self->password_pending = TRUE;
              g_signal_emit (self, signals[PASSWORD_NEEDED], 0);
            }
          break;

        case VNC_CONNECTION_CREDENTIAL_CLIENTNAME:
          vnc_connection_set_credential (connection, credential, "vivarium");
          break;

        default:
          set_reason (self, _("The server asks for a user name, which is not supported"));
          self->auth_failed = TRUE;
          vnc_connection_shutdown (connection);
          return;
        }
    }
}

G_GNUC_END_IGNORE_DEPRECATIONS

static void
connection_auth_failure_cb (VncConnection *connection,
                            const char    *message,
                            VivVncSession *self)
{
  g_autofree char *reason = g_strdup_printf (_("Authentication failed: %s"), message);

  set_reason (self, reason);
  self->auth_failed = TRUE;
  forget_password (self);
}

static void
connection_error_cb (VncConnection *connection,
                     const char    *message,
                     VivVncSession *self)
{
  set_reason (self, message);
}

static gboolean
reconnect_cb (gpointer user_data)
{
  VivVncSession *self = user_data;

  self->reconnect_source = 0;
  connect_host (self);
  return G_SOURCE_REMOVE;
}

static void
connection_lost (VivVncSession *self)
{
  g_autofree char *reason = NULL;
  gboolean retry;

  drop_connection (self);

  reason = g_strdup (self->reason != NULL ? self->reason : _("The server closed the connection"));
  retry = self->by_host && !self->auth_failed;

  if (retry)
    {
      self->backoff_ms = self->backoff_ms == 0 ? RECONNECT_FIRST_MS
                                               : MIN (self->backoff_ms * 2, RECONNECT_MAX_MS);
      self->reconnect_source = g_timeout_add (self->backoff_ms, reconnect_cb, self);
      set_state (self, VIV_DISPLAY_STATE_RECONNECTING);
    }
  else
    set_state (self, VIV_DISPLAY_STATE_DISCONNECTED);

  g_signal_emit (self, signals[LOST], 0, reason, retry);
}

static void
connection_disconnected_cb (VncConnection *connection,
                            VivVncSession *self)
{
  g_assert (VIV_IS_VNC_SESSION (self));

  connection_lost (self);
}

static gboolean
start_connection (VivVncSession *self,
                  int            fd)
{
  g_assert (self->connection == NULL);

  self->connection = vnc_connection_new ();
  self->auth_failed = FALSE;
  g_clear_pointer (&self->reason, g_free);
  /* gvnc defaults to an exclusive session, and TigerVNC then disconnects
   * every other viewer (gtk4-vnc-notes.md 1.6). */
  vnc_connection_set_shared (self->connection, TRUE);

#define CONNECT(name, cb) g_signal_connect (self->connection, name, G_CALLBACK (cb), self)
  CONNECT ("vnc-initialized", connection_initialized_cb);
  CONNECT ("vnc-framebuffer-update", connection_framebuffer_update_cb);
  CONNECT ("vnc-desktop-resize", connection_desktop_resize_cb);
  CONNECT ("vnc-pixel-format-changed", connection_pixel_format_changed_cb);
  CONNECT ("vnc-cursor-changed", connection_cursor_changed_cb);
  CONNECT ("vnc-server-cut-text", connection_server_cut_text_cb);
  CONNECT ("vnc-desktop-rename", connection_desktop_rename_cb);
  CONNECT ("vnc-auth-choose-type", connection_auth_choose_type_cb);
  CONNECT ("vnc-auth-credential", connection_auth_credential_cb);
  CONNECT ("vnc-auth-failure", connection_auth_failure_cb);
  CONNECT ("vnc-error", connection_error_cb);
  CONNECT ("vnc-disconnected", connection_disconnected_cb);
#undef CONNECT

  self->stats_fd = dup (fd);

  if (!vnc_connection_open_fd (self->connection, fd))
    {
      close (fd);
      set_reason (self, _("Could not open the VNC connection"));
      return FALSE;
    }

  return TRUE;
}

static void
connect_host_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (VivVncSession) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketConnection) connection = NULL;
  GSocket *socket;

  connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->connect_cancellable);

  if (connection == NULL)
    {
      set_reason (self, error->message);
      connection_lost (self);
      return;
    }

  socket = g_socket_connection_get_socket (connection);
  /* A server that vanishes without a reset is only noticed by keepalive. */
  g_socket_set_keepalive (socket, TRUE);
  self->socket_connection = g_steal_pointer (&connection);
  if (!start_connection (self, dup (g_socket_get_fd (socket))))
    connection_lost (self);
}

static void
connect_host (VivVncSession *self)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();

  g_assert (self->host != NULL);

  set_state (self, self->state == VIV_DISPLAY_STATE_RECONNECTING ? VIV_DISPLAY_STATE_RECONNECTING
                                                                 : VIV_DISPLAY_STATE_CONNECTING);
  g_clear_pointer (&self->reason, g_free);
  g_socket_client_set_timeout (client, CONNECT_TIMEOUT_S);
  self->connect_cancellable = g_cancellable_new ();
  g_socket_client_connect_to_host_async (client, self->host, self->port,
                                         self->connect_cancellable,
                                         connect_host_cb, g_object_ref (self));
}

static void
cancel_pending (VivVncSession *self)
{
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  if (self->connect_cancellable != NULL)
    {
      g_cancellable_cancel (self->connect_cancellable);
      g_clear_object (&self->connect_cancellable);
    }
}

static void
viv_vnc_session_dispose (GObject *object)
{
  VivVncSession *self = VIV_VNC_SESSION (object);

  cancel_pending (self);
  drop_connection (self);

  G_OBJECT_CLASS (viv_vnc_session_parent_class)->dispose (object);
}

static void
viv_vnc_session_finalize (GObject *object)
{
  VivVncSession *self = VIV_VNC_SESSION (object);

  forget_password (self);
  idle_booster_release ();
  g_clear_pointer (&self->pixels, g_bytes_unref);
  g_clear_pointer (&self->reason, g_free);
  g_clear_pointer (&self->desktop_name, g_free);
  g_clear_pointer (&self->host, g_free);

  G_OBJECT_CLASS (viv_vnc_session_parent_class)->finalize (object);
}

static void
viv_vnc_session_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  VivVncSession *self = VIV_VNC_SESSION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_DESKTOP_NAME:
      g_value_set_string (value, self->desktop_name);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_vnc_session_class_init (VivVncSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = viv_vnc_session_dispose;
  object_class->finalize = viv_vnc_session_finalize;
  object_class->get_property = viv_vnc_session_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       VIV_TYPE_DISPLAY_STATE, VIV_DISPLAY_STATE_DISCONNECTED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DESKTOP_NAME] =
    g_param_spec_string ("desktop-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[DAMAGE] =
    g_signal_new ("damage", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 4,
                  G_TYPE_INT, G_TYPE_INT, G_TYPE_INT, G_TYPE_INT);
  signals[RESIZED] =
    g_signal_new ("resized", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
  signals[CURSOR_CHANGED] =
    g_signal_new ("cursor-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, VNC_TYPE_CURSOR);
  signals[SERVER_CUT_TEXT] =
    g_signal_new ("server-cut-text", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[PASSWORD_NEEDED] =
    g_signal_new ("password-needed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[LOST] =
    g_signal_new ("lost", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
}

static void
viv_vnc_session_init (VivVncSession *self)
{
  /* B,G,R,X in memory on little-endian hosts, as gtk-vnc's Cairo framebuffer;
   * it maps to GDK_MEMORY_B8G8R8A8_PREMULTIPLIED once the alpha is fixed. */
  self->local_format = (VncPixelFormat) {
    .bits_per_pixel = 32,
    .depth = 24,
    .byte_order = G_BYTE_ORDER,
    .true_color_flag = 1,
    .red_max = 255, .green_max = 255, .blue_max = 255,
    .red_shift = 16, .green_shift = 8, .blue_shift = 0,
  };
  self->stats_fd = -1;
  idle_booster_hold ();
  self->jpeg_quality = -1;
  self->compression_level = -1;
}

VivVncSession *
viv_vnc_session_new (void)
{
  return g_object_new (VIV_TYPE_VNC_SESSION, NULL);
}

void
viv_vnc_session_open_fd (VivVncSession *self,
                         int            fd)
{
  g_return_if_fail (VIV_IS_VNC_SESSION (self));
  g_return_if_fail (fd >= 0);

  cancel_pending (self);
  drop_connection (self);
  g_clear_pointer (&self->host, g_free);
  self->by_host = FALSE;

  set_state (self, VIV_DISPLAY_STATE_CONNECTING);
  if (!start_connection (self, fd))
    connection_lost (self);
}

void
viv_vnc_session_open_host (VivVncSession *self,
                           const char    *host,
                           guint16        port)
{
  g_return_if_fail (VIV_IS_VNC_SESSION (self));
  g_return_if_fail (host != NULL);

  cancel_pending (self);
  drop_connection (self);
  g_free (self->host);
  self->host = g_strdup (host);
  self->port = port;
  self->by_host = TRUE;
  self->backoff_ms = 0;
  self->state = VIV_DISPLAY_STATE_DISCONNECTED;
  connect_host (self);
}

void
viv_vnc_session_close (VivVncSession *self)
{
  g_return_if_fail (VIV_IS_VNC_SESSION (self));

  cancel_pending (self);
  drop_connection (self);
  self->by_host = FALSE;
  g_clear_pointer (&self->reason, g_free);
  self->reason = g_strdup (_("Closed"));
  set_state (self, VIV_DISPLAY_STATE_DISCONNECTED);
}

void
viv_vnc_session_set_password (VivVncSession *self,
                              const char    *password)
{
  g_return_if_fail (VIV_IS_VNC_SESSION (self));

  forget_password (self);
  self->password = g_strdup (password);

  if (self->password_pending && self->connection != NULL && password != NULL)
    {
      self->password_pending = FALSE;
      vnc_connection_set_credential (self->connection, VNC_CONNECTION_CREDENTIAL_PASSWORD,
                                     password);
    }
}

VivDisplayState
viv_vnc_session_get_state (VivVncSession *self)
{
  g_return_val_if_fail (VIV_IS_VNC_SESSION (self), VIV_DISPLAY_STATE_DISCONNECTED);

  return self->state;
}

const char *
viv_vnc_session_get_disconnect_reason (VivVncSession *self)
{
  g_return_val_if_fail (VIV_IS_VNC_SESSION (self), NULL);

  return self->state == VIV_DISPLAY_STATE_CONNECTED ? NULL : self->reason;
}

const char *
viv_vnc_session_get_desktop_name (VivVncSession *self)
{
  g_return_val_if_fail (VIV_IS_VNC_SESSION (self), NULL);

  return self->desktop_name;
}

void
viv_vnc_session_set_encoding_hints (VivVncSession *self,
                                    int            jpeg_quality,
                                    int            compression_level,
                                    gboolean       local_cursor)
{
  g_return_if_fail (VIV_IS_VNC_SESSION (self));

  if (self->jpeg_quality == jpeg_quality &&
      self->compression_level == compression_level &&
      self->local_cursor == !!local_cursor)
    return;

  self->jpeg_quality = jpeg_quality;
  self->compression_level = compression_level;
  self->local_cursor = !!local_cursor;
  send_encodings (self);
}

VncConnection *
viv_vnc_session_get_connection (VivVncSession *self)
{
  g_return_val_if_fail (VIV_IS_VNC_SESSION (self), NULL);

  if (self->state != VIV_DISPLAY_STATE_CONNECTED)
    return NULL;
  return self->connection;
}

GBytes *
viv_vnc_session_get_pixels (VivVncSession *self,
                            int           *width,
                            int           *height,
                            gsize         *stride)
{
  g_return_val_if_fail (VIV_IS_VNC_SESSION (self), NULL);

  if (width != NULL)
    *width = self->width;
  if (height != NULL)
    *height = self->height;
  if (stride != NULL)
    *stride = self->stride;
  return self->pixels;
}

gboolean
viv_vnc_session_request_update (VivVncSession *self,
                                gboolean       incremental)
{
  g_return_val_if_fail (VIV_IS_VNC_SESSION (self), FALSE);

  if (self->state != VIV_DISPLAY_STATE_CONNECTED || self->framebuffer == NULL)
    return FALSE;
  return vnc_connection_framebuffer_update_request (self->connection, incremental,
                                                    0, 0, self->width, self->height);
}

gint64
viv_vnc_session_get_bytes_received (VivVncSession *self)
{
  struct tcp_info info;
  socklen_t len = sizeof info;

  g_return_val_if_fail (VIV_IS_VNC_SESSION (self), -1);

  if (self->stats_fd < 0 ||
      getsockopt (self->stats_fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0 ||
      len < offsetof (struct tcp_info, tcpi_bytes_received) + sizeof info.tcpi_bytes_received)
    return -1;
  return (gint64) info.tcpi_bytes_received;
}
