/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-progress-stream-private.h"

struct _VivProgressStream
{
  GFilterInputStream parent_instance;
  VivProgressFunc    func;
  gpointer           user_data;
  goffset            done;
};

G_DEFINE_FINAL_TYPE (VivProgressStream, viv_progress_stream, G_TYPE_FILTER_INPUT_STREAM)

static void
report (VivProgressStream *self,
        gssize             n_read)
{
  if (n_read <= 0)
    return;

  self->done += n_read;
  if (self->func != NULL)
    self->func (self->done, -1, self->user_data);
}

static gssize
viv_progress_stream_read (GInputStream  *stream,
                          void          *buffer,
                          gsize          count,
                          GCancellable  *cancellable,
                          GError       **error)
{
  VivProgressStream *self = VIV_PROGRESS_STREAM (stream);
  GInputStream *base = g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream));
  gssize n_read = g_input_stream_read (base, buffer, count, cancellable, error);

  report (self, n_read);
  return n_read;
}

static void
base_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  VivProgressStream *self = g_task_get_source_object (task);
  GError *error = NULL;
  gssize n_read;

  n_read = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  if (n_read < 0)
    {
      g_task_return_error (task, error);
      return;
    }

  report (self, n_read);
  g_task_return_int (task, n_read);
}

static void
viv_progress_stream_read_async (GInputStream        *stream,
                                void                *buffer,
                                gsize                count,
                                int                  io_priority,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GInputStream *base = g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream));
  GTask *task = g_task_new (stream, cancellable, callback, user_data);

  g_task_set_source_tag (task, viv_progress_stream_read_async);
  g_input_stream_read_async (base, buffer, count, io_priority, cancellable, base_read_cb, task);
}

static gssize
viv_progress_stream_read_finish (GInputStream  *stream,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return g_task_propagate_int (G_TASK (result), error);
}

static void
viv_progress_stream_class_init (VivProgressStreamClass *klass)
{
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  input_class->read_fn = viv_progress_stream_read;
  input_class->read_async = viv_progress_stream_read_async;
  input_class->read_finish = viv_progress_stream_read_finish;
}

static void
viv_progress_stream_init (VivProgressStream *self)
{
}

GInputStream *
_viv_progress_stream_new (GInputStream    *base,
                          VivProgressFunc  func,
                          gpointer         user_data)
{
  VivProgressStream *self = g_object_new (VIV_TYPE_PROGRESS_STREAM,
                                          "base-stream", base,
                                          "close-base-stream", FALSE,
                                          NULL);

  self->func = func;
  self->user_data = user_data;
  return G_INPUT_STREAM (self);
}
