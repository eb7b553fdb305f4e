/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The GtkGLArea alternative to VivDisplayView's rendering, built so the
 * benchmark can measure both (issue: "tiled GdkMemoryTextures or a
 * GtkGLArea with sub-image uploads; measure and choose"). It shares the
 * view's VivVncSession, so decoding and the alpha fix-up are the same code;
 * only rendering differs: one persistent GL texture, the damaged bounding box
 * re-uploaded with glTexSubImage2D, one quad drawn without blending (nearest
 * at 1:1). Pacing is the view's: one render per complete update, the next
 * request after the frame showing it was painted. No input, no cursor: this
 * is a measurement, not a second widget. */
#include "config.h"

#include <epoxy/gl.h>

#include "viv-gl-view.h"
#include "viv-vnc-session.h"

struct _VivGlView
{
  GtkGLArea      parent_instance;

  VivVncSession *session;
  GdkFrameClock *frame_clock;
  gulong         after_paint_handler;

  GLuint         program;
  GLuint         vao;
  GLuint         texture;
  GLint          rect_location;
  int            texture_width;
  int            texture_height;

  /* Bounding box of the rectangles decoded since the last upload. */
  int            damage_x0, damage_y0, damage_x1, damage_y1;

  gboolean       request_owed;
  gboolean       update_complete;
  gboolean       drawn_since_damage;
  guint          update_complete_source;
  gint64         first_damage_time;

  guint64        frames;
  guint64        pixels;
  gint64         latency_sum;
};

G_DEFINE_FINAL_TYPE (VivGlView, viv_gl_view, GTK_TYPE_GL_AREA)

static const char vertex_source[] =
  "out vec2 uv;\n"
  "uniform vec4 rect;\n"
  "void main () {\n"
  "  vec2 corner = vec2 (float (gl_VertexID & 1), float (gl_VertexID >> 1));\n"
  "  uv = corner;\n"
  "  gl_Position = vec4 (mix (rect.xy, rect.zw, corner), 0.0, 1.0);\n"
  "}\n";

/* The texture holds B,G,R,X bytes uploaded as RGBA: swizzle, force opaque. */
static const char fragment_source[] =
  "precision mediump float;\n"
  "in vec2 uv;\n"
  "out vec4 color;\n"
  "uniform sampler2D framebuffer;\n"
  "void main () {\n"
  "  color = vec4 (texture (framebuffer, uv).bgr, 1.0);\n"
  "}\n";

static GLuint
compile_shader (GLenum      type,
                const char *version,
                const char *source)
{
  const char *sources[] = { version, source };
  GLuint shader = glCreateShader (type);
  GLint ok = GL_FALSE;

  glShaderSource (shader, G_N_ELEMENTS (sources), sources, NULL);
  glCompileShader (shader);
  glGetShaderiv (shader, GL_COMPILE_STATUS, &ok);
  if (!ok)
    {
      char log[1024] = "";

      glGetShaderInfoLog (shader, sizeof log, NULL, log);
      g_error ("GL shader: %s", log);
    }
  return shader;
}

static void
upload (VivGlView *self)
{
  int width, height;
  gsize stride;
  GBytes *pixels = viv_vnc_session_get_pixels (self->session, &width, &height, &stride);
  const guint8 *data;

  if (pixels == NULL)
    return;
  data = g_bytes_get_data (pixels, NULL);

  glBindTexture (GL_TEXTURE_2D, self->texture);
  glPixelStorei (GL_UNPACK_ALIGNMENT, 4);
  glPixelStorei (GL_UNPACK_ROW_LENGTH, stride / 4);
  if (width != self->texture_width || height != self->texture_height)
    {
      glTexImage2D (GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, data);
      self->texture_width = width;
      self->texture_height = height;
    }
  else if (self->damage_x1 > self->damage_x0 && self->damage_y1 > self->damage_y0)
    {
      glTexSubImage2D (GL_TEXTURE_2D, 0, self->damage_x0, self->damage_y0,
                       self->damage_x1 - self->damage_x0, self->damage_y1 - self->damage_y0,
                       GL_RGBA, GL_UNSIGNED_BYTE,
                       data + self->damage_y0 * stride + (gsize) self->damage_x0 * 4);
    }
  glPixelStorei (GL_UNPACK_ROW_LENGTH, 0);
  self->damage_x0 = self->damage_y0 = G_MAXINT;
  self->damage_x1 = self->damage_y1 = 0;
}

static gboolean
viv_gl_view_render (GtkGLArea    *area,
                    GdkGLContext *context)
{
  VivGlView *self = VIV_GL_VIEW (area);
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  int area_width = gtk_widget_get_width (GTK_WIDGET (self)) * scale;
  int area_height = gtk_widget_get_height (GTK_WIDGET (self)) * scale;
  double factor, draw_width, draw_height, left, top;
  GLint filter;

  glClearColor (0, 0, 0, 1);
  glClear (GL_COLOR_BUFFER_BIT);
  upload (self);
  if (self->texture_width == 0 || area_width == 0 || area_height == 0)
    return TRUE;

  /* Fit, letterboxed, 1:1 when it fits; snapped to device pixels. */
  factor = MIN (1.0, MIN ((double) area_width / self->texture_width,
                          (double) area_height / self->texture_height));
  draw_width = floor (self->texture_width * factor);
  draw_height = floor (self->texture_height * factor);
  left = floor ((area_width - draw_width) / 2);
  top = floor ((area_height - draw_height) / 2);
  filter = factor == 1.0 ? GL_NEAREST : GL_LINEAR;

  glDisable (GL_BLEND);
  glUseProgram (self->program);
  glUniform4f (self->rect_location,
               left / area_width * 2 - 1, 1 - top / area_height * 2,
               (left + draw_width) / area_width * 2 - 1, 1 - (top + draw_height) / area_height * 2);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glBindVertexArray (self->vao);
  glDrawArrays (GL_TRIANGLE_STRIP, 0, 4);
  glBindVertexArray (0);
  glUseProgram (0);

  if (self->request_owed && self->update_complete)
    self->drawn_since_damage = TRUE;
  return TRUE;
}

static void
request_next_update (VivGlView *self)
{
  self->request_owed = FALSE;
  self->drawn_since_damage = FALSE;
  self->update_complete = FALSE;
  g_clear_handle_id (&self->update_complete_source, g_source_remove);
  viv_vnc_session_request_update (self->session, TRUE);
}

static void
frame_clock_after_paint_cb (GdkFrameClock *frame_clock,
                            VivGlView     *self)
{
  if (!self->request_owed || !self->drawn_since_damage)
    return;

  self->frames++;
  self->latency_sum += g_get_monotonic_time () - self->first_damage_time;
  request_next_update (self);
}

static gboolean
update_complete_cb (gpointer user_data)
{
  VivGlView *self = user_data;

  /* As VivDisplayView: one step below gvnc's raised idles, so it runs once
   * gvnc has no rectangle left to emit. */
  self->update_complete_source = 0;
  self->update_complete = TRUE;
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
  return G_SOURCE_REMOVE;
}

static void
session_damage_cb (VivVncSession *session,
                   int            x,
                   int            y,
                   int            width,
                   int            height,
                   VivGlView     *self)
{
  self->damage_x0 = MIN (self->damage_x0, x);
  self->damage_y0 = MIN (self->damage_y0, y);
  self->damage_x1 = MAX (self->damage_x1, x + width);
  self->damage_y1 = MAX (self->damage_y1, y + height);
  self->pixels += (guint64) width * height;

  if (!self->request_owed)
    {
      self->request_owed = TRUE;
      self->first_damage_time = g_get_monotonic_time ();
    }
  self->update_complete = FALSE;
  if (self->update_complete_source == 0)
    self->update_complete_source = g_idle_add_full (GDK_PRIORITY_REDRAW + 1, update_complete_cb, self, NULL);
}

static void
session_resized_cb (VivVncSession *session,
                    int            width,
                    int            height,
                    VivGlView     *self)
{
  /* The next upload re-creates the texture from the whole framebuffer. */
  self->texture_width = self->texture_height = 0;
}

static void
viv_gl_view_realize (GtkWidget *widget)
{
  VivGlView *self = VIV_GL_VIEW (widget);
  GdkGLContext *context;
  const char *version;
  GLuint vertex, fragment;

  GTK_WIDGET_CLASS (viv_gl_view_parent_class)->realize (widget);

  self->frame_clock = g_object_ref (gtk_widget_get_frame_clock (widget));
  self->after_paint_handler = g_signal_connect (self->frame_clock, "after-paint",
                                                G_CALLBACK (frame_clock_after_paint_cb), self);
  gtk_gl_area_make_current (GTK_GL_AREA (self));
  if (gtk_gl_area_get_error (GTK_GL_AREA (self)) != NULL)
    g_error ("GtkGLArea: %s", gtk_gl_area_get_error (GTK_GL_AREA (self))->message);

  context = gtk_gl_area_get_context (GTK_GL_AREA (self));
  version = gdk_gl_context_get_use_es (context) ? "#version 300 es\n" : "#version 150\n";
  vertex = compile_shader (GL_VERTEX_SHADER, version, vertex_source);
  /* GLSL 1.50 accepts precision qualifiers and ignores them. */
  fragment = compile_shader (GL_FRAGMENT_SHADER, version, fragment_source);
  self->program = glCreateProgram ();
  glAttachShader (self->program, vertex);
  glAttachShader (self->program, fragment);
  glLinkProgram (self->program);
  glDeleteShader (vertex);
  glDeleteShader (fragment);
  self->rect_location = glGetUniformLocation (self->program, "rect");

  glGenVertexArrays (1, &self->vao);
  glGenTextures (1, &self->texture);
}

static void
viv_gl_view_unrealize (GtkWidget *widget)
{
  VivGlView *self = VIV_GL_VIEW (widget);

  gtk_gl_area_make_current (GTK_GL_AREA (self));
  if (gtk_gl_area_get_error (GTK_GL_AREA (self)) == NULL)
    {
      glDeleteTextures (1, &self->texture);
      glDeleteVertexArrays (1, &self->vao);
      glDeleteProgram (self->program);
    }
  self->texture = self->vao = self->program = 0;
  self->texture_width = self->texture_height = 0;
  g_clear_signal_handler (&self->after_paint_handler, self->frame_clock);
  g_clear_object (&self->frame_clock);

  GTK_WIDGET_CLASS (viv_gl_view_parent_class)->unrealize (widget);
}

static void
viv_gl_view_dispose (GObject *object)
{
  VivGlView *self = VIV_GL_VIEW (object);

  g_clear_handle_id (&self->update_complete_source, g_source_remove);
  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      viv_vnc_session_close (self->session);
      g_clear_object (&self->session);
    }

  G_OBJECT_CLASS (viv_gl_view_parent_class)->dispose (object);
}

static void
viv_gl_view_class_init (VivGlViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkGLAreaClass *area_class = GTK_GL_AREA_CLASS (klass);

  object_class->dispose = viv_gl_view_dispose;
  widget_class->realize = viv_gl_view_realize;
  widget_class->unrealize = viv_gl_view_unrealize;
  area_class->render = viv_gl_view_render;
}

static void
viv_gl_view_init (VivGlView *self)
{
  gtk_gl_area_set_auto_render (GTK_GL_AREA (self), FALSE);
  gtk_gl_area_set_has_depth_buffer (GTK_GL_AREA (self), FALSE);
  gtk_gl_area_set_has_stencil_buffer (GTK_GL_AREA (self), FALSE);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);

  self->damage_x0 = self->damage_y0 = G_MAXINT;
  self->session = viv_vnc_session_new ();
  g_signal_connect (self->session, "damage", G_CALLBACK (session_damage_cb), self);
  g_signal_connect (self->session, "resized", G_CALLBACK (session_resized_cb), self);
}

GtkWidget *
viv_gl_view_new (void)
{
  return g_object_new (VIV_TYPE_GL_VIEW, NULL);
}

void
viv_gl_view_open_fd (VivGlView *self,
                     int        fd)
{
  viv_vnc_session_open_fd (self->session, fd);
}

gboolean
viv_gl_view_is_connected (VivGlView *self)
{
  return viv_vnc_session_get_state (self->session) == VIV_DISPLAY_STATE_CONNECTED;
}

void
viv_gl_view_get_counters (VivGlView *self,
                          guint64   *frames,
                          guint64   *pixels,
                          gint64    *latency_sum_us)
{
  *frames = self->frames;
  *pixels = self->pixels;
  *latency_sum_us = self->latency_sum;
}
