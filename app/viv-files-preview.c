/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "viv-files-preview.h"

/* A window that shows a sandbox's text file (its first MiB) or image. */
struct _VivFilesPreview
{
  AdwWindow       parent_instance;

  AdwWindowTitle *window_title;
  GtkStack       *stack;
  GtkTextView    *text_view;
  GtkPicture     *picture;
  AdwStatusPage  *status_page;
  GtkLabel       *note;

  VivFiles       *files;
  VivFileEntry   *entry;
  GCancellable   *cancellable;
  GCancellable   *enough;       /* cancelled once the text cap is read */
  GOutputStream  *memory;
  gint64          cap;
};

/* More text than this is not shown; the rest is one download away. */
#define TEXT_CAP (1024 * 1024)
/* Images are shown whole or not at all. */
#define IMAGE_CAP (32 * 1024 * 1024)

G_DEFINE_FINAL_TYPE (VivFilesPreview, viv_files_preview, ADW_TYPE_WINDOW)

static void
show_message (VivFilesPreview *self,
              const char      *icon_name,
              const char      *title,
              const char      *description)
{
  adw_status_page_set_icon_name (self->status_page, icon_name);
  adw_status_page_set_title (self->status_page, title);
  adw_status_page_set_description (self->status_page, description);
  gtk_stack_set_visible_child_name (self->stack, "message");
}

static void
show_note (VivFilesPreview *self,
           const char      *text)
{
  gtk_label_set_text (self->note, text);
  gtk_widget_set_visible (GTK_WIDGET (self->note), TRUE);
}

static void
decode_image_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  GError *error = NULL;
  GdkTexture *texture = gdk_texture_new_from_bytes (task_data, &error);

  if (texture == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, texture, g_object_unref);
}

static void
image_decoded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  VivFilesPreview *self = VIV_FILES_PREVIEW (object);
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GError) error = NULL;

  if (!(texture = g_task_propagate_pointer (G_TASK (result), &error)))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_message (self, "image-missing-symbolic", _("Cannot Show This Image"), error->message);
      return;
    }
  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (texture));
  gtk_stack_set_visible_child_name (self->stack, "image");
  {
    /* Translators: an image's width and height in pixels */
    g_autofree char *size = g_strdup_printf (_("%d × %d pixels"), gdk_texture_get_width (texture),
                                             gdk_texture_get_height (texture));
    show_note (self, size);
  }
}

static gboolean
looks_like_text (GBytes *bytes)
{
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);

  /* A NUL in the first 8 KiB means binary, as for grep and git. */
  return memchr (data, '\0', MIN (length, 8192)) == NULL;
}

static void
show_bytes (VivFilesPreview *self,
            GBytes          *bytes,
            gboolean         truncated)
{
  const char *name = viv_file_entry_get_name (self->entry);
  gsize length;
  const guchar *data = g_bytes_get_data (bytes, &length);
  g_autofree char *type = g_content_type_guess (name, data, MIN (length, 4096), NULL);

  if (g_content_type_is_a (type, "image/svg+xml") || !g_content_type_is_a (type, "image/*"))
    {
      if (looks_like_text (bytes))
        {
          g_autofree char *text = g_utf8_make_valid ((const char *) data, length);

          gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), text, -1);
          gtk_stack_set_visible_child_name (self->stack, "text");
          if (truncated)
            {
              g_autofree char *shown = g_format_size (length);
              g_autofree char *total = g_format_size (viv_file_entry_get_size (self->entry));
              /* Translators: the first %s is a size shown, the second the file's size */
              g_autofree char *note = g_strdup_printf (_("Showing the first %s of %s. Download the file to see all of it."),
                                                       shown, total);

              show_note (self, note);
            }
          return;
        }
      if (!g_content_type_is_a (type, "image/*"))
        {
          g_autofree char *description = g_content_type_get_description (type);

          show_message (self, "text-x-generic-symbolic", _("No Preview"),
                        /* Translators: %s is a file type such as "ELF executable" */
                        description);
          return;
        }
    }

  if (truncated)
    {
      show_message (self, "image-x-generic-symbolic", _("Image Too Large to Preview"),
                    _("Download it to see it."));
      return;
    }

  {
    g_autoptr (GTask) task = g_task_new (self, self->cancellable, image_decoded_cb, NULL);

    g_task_set_task_data (task, g_bytes_ref (bytes), (GDestroyNotify) g_bytes_unref);
    g_task_run_in_thread (task, decode_image_thread);
  }
}

static void
read_progress_cb (goffset  current,
                  goffset  total,
                  gpointer user_data)
{
  VivFilesPreview *self = user_data;

  if (current >= self->cap)
    g_cancellable_cancel (self->enough);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (VivFilesPreview) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  gboolean truncated = FALSE;

  if (viv_files_download_finish (VIV_FILES (object), result, &error) < 0)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          g_cancellable_is_cancelled (self->cancellable))
        {
          if (!g_cancellable_is_cancelled (self->cancellable))
            show_message (self, "dialog-error-symbolic", _("Cannot Read This File"), error->message);
          return;
        }
      /* Stopped on purpose at the cap. */
      truncated = TRUE;
    }

  g_output_stream_close (self->memory, NULL, NULL);
  bytes = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (self->memory));
  if (truncated && g_bytes_get_size (bytes) > (gsize) self->cap)
    {
      GBytes *head = g_bytes_new_from_bytes (bytes, 0, self->cap);

      g_bytes_unref (bytes);
      bytes = head;
    }
  show_bytes (self, bytes, truncated);
}

static void
enough_cb (GCancellable *enough,
           gpointer      user_data)
{
  GCancellable *cancellable = user_data;

  g_cancellable_cancel (cancellable);
}

static void
viv_files_preview_dispose (GObject *object)
{
  VivFilesPreview *self = VIV_FILES_PREVIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->files);
  g_clear_object (&self->memory);
  g_clear_pointer (&self->entry, viv_file_entry_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIV_TYPE_FILES_PREVIEW);

  G_OBJECT_CLASS (viv_files_preview_parent_class)->dispose (object);
}

static void
viv_files_preview_finalize (GObject *object)
{
  VivFilesPreview *self = VIV_FILES_PREVIEW (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->enough);

  G_OBJECT_CLASS (viv_files_preview_parent_class)->finalize (object);
}

static void
viv_files_preview_class_init (VivFilesPreviewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = viv_files_preview_dispose;
  object_class->finalize = viv_files_preview_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/vivarium/Vivarium/viv-files-preview.ui");
  gtk_widget_class_bind_template_child (widget_class, VivFilesPreview, window_title);
  gtk_widget_class_bind_template_child (widget_class, VivFilesPreview, stack);
  gtk_widget_class_bind_template_child (widget_class, VivFilesPreview, text_view);
  gtk_widget_class_bind_template_child (widget_class, VivFilesPreview, picture);
  gtk_widget_class_bind_template_child (widget_class, VivFilesPreview, status_page);
  gtk_widget_class_bind_template_child (widget_class, VivFilesPreview, note);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
viv_files_preview_init (VivFilesPreview *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->enough = g_cancellable_new ();
}

VivFilesPreview *
viv_files_preview_new (GtkWindow    *parent,
                       VivSandbox   *sandbox,
                       VivFileEntry *entry)
{
  VivFilesPreview *self;
  g_autofree char *type = NULL;
  gint64 size;

  g_return_val_if_fail (VIV_IS_SANDBOX (sandbox), NULL);
  g_return_val_if_fail (entry != NULL, NULL);

  self = g_object_new (VIV_TYPE_FILES_PREVIEW,
                       "transient-for", parent,
                       "title", viv_file_entry_get_name (entry),
                       NULL);
  self->files = viv_files_new (sandbox);
  self->entry = viv_file_entry_ref (entry);
  adw_window_title_set_title (self->window_title, viv_file_entry_get_name (entry));
  adw_window_title_set_subtitle (self->window_title, viv_file_entry_get_path (entry));

  type = g_content_type_guess (viv_file_entry_get_name (entry), NULL, 0, NULL);
  self->cap = g_content_type_is_a (type, "image/*") && !g_content_type_is_a (type, "image/svg+xml")
              ? IMAGE_CAP : TEXT_CAP;
  size = viv_file_entry_get_size (entry);
  if (self->cap == IMAGE_CAP && size > IMAGE_CAP)
    {
      show_message (self, "image-x-generic-symbolic", _("Image Too Large to Preview"),
                    _("Download it to see it."));
      return self;
    }

  /* One cancellable for the read: closing the window or reaching the cap
   * both stop it; which one it was is told apart in read_cb (). */
  {
    g_autoptr (GCancellable) read = g_cancellable_new ();

    g_cancellable_connect (self->enough, G_CALLBACK (enough_cb), g_object_ref (read), g_object_unref);
    g_cancellable_connect (self->cancellable, G_CALLBACK (enough_cb), g_object_ref (read), g_object_unref);
    self->memory = g_memory_output_stream_new_resizable ();
    viv_files_download_async (self->files, viv_file_entry_get_path (entry), self->memory,
                              read_progress_cb, self, NULL, read,
                              read_cb, g_object_ref (self));
  }
  return self;
}
