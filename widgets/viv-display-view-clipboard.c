/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-display-view-private.h"

/* Clipboard both ways while input is enabled. RFB cut text is Latin-1 (RFC
 * 6143 7.5.6) and gvnc 1.3.1 converts nothing and has no Extended
 * Clipboard, so characters outside Latin-1 cannot cross (TigerVNC#549); they
 * become '?' on the way out. */

static void
read_text_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (VivDisplayView) self = user_data;
  g_autofree char *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, NULL);
  g_autofree char *latin1 = NULL;
  VncConnection *connection;
  gsize length = 0;

  if (text == NULL || !self->input_enabled)
    return;
  connection = viv_vnc_session_get_connection (self->session);
  if (connection == NULL)
    return;

  latin1 = g_convert_with_fallback (text, -1, "ISO-8859-1", "UTF-8", "?", NULL, &length, NULL);
  if (latin1 != NULL)
    vnc_connection_client_cut_text (connection, latin1, length);
}

void
_viv_display_view_push_clipboard (VivDisplayView *self)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (self));

  /* What we set ourselves came from the remote already. */
  if (gdk_clipboard_is_local (clipboard) || gdk_clipboard_get_formats (clipboard) == NULL)
    return;

  g_cancellable_cancel (self->clipboard_cancellable);
  g_clear_object (&self->clipboard_cancellable);
  self->clipboard_cancellable = g_cancellable_new ();
  gdk_clipboard_read_text_async (clipboard, self->clipboard_cancellable, read_text_cb,
                                 g_object_ref (self));
}

static void
clipboard_changed_cb (GdkClipboard   *clipboard,
                      VivDisplayView *self)
{
  /* Only the focused view forwards: on Wayland only the focused client may
   * read the clipboard anyway. */
  if (self->input_enabled && gtk_widget_has_focus (GTK_WIDGET (self)))
    _viv_display_view_push_clipboard (self);
}

void
_viv_display_view_server_cut_text (VivDisplayView *self,
                                   const char     *latin1)
{
  g_autofree char *text = NULL;

  /* A watcher's clipboard is not for the agent to fill. */
  if (!self->input_enabled || latin1 == NULL)
    return;

  text = g_convert (latin1, -1, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
  if (text != NULL)
    gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
}

void
_viv_display_view_init_clipboard (VivDisplayView *self)
{
  self->clipboard_changed_handler =
    g_signal_connect (gtk_widget_get_clipboard (GTK_WIDGET (self)), "changed",
                      G_CALLBACK (clipboard_changed_cb), self);
}

void
_viv_display_view_dispose_clipboard (VivDisplayView *self)
{
  if (self->clipboard_changed_handler != 0)
    {
      g_clear_signal_handler (&self->clipboard_changed_handler,
                              gtk_widget_get_clipboard (GTK_WIDGET (self)));
    }
  g_cancellable_cancel (self->clipboard_cancellable);
  g_clear_object (&self->clipboard_cancellable);
}
