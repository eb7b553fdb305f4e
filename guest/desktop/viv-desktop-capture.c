/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sys/ipc.h>
#include <sys/shm.h>

#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>
#include <turbojpeg.h>

#include "viv-guest-http.h"
#include "viv-desktop-private.h"
#include "viv-desktop-png.h"

/* Screenshots are taken from the root window through a shared memory segment
 * that the server writes into (MIT-SHM), which saves copying megabytes over
 * the socket; XGetImage is the fallback when the server cannot attach it. */

struct _VivDesktopCapture
{
  Display         *display;
  gboolean         shm_failed;
  XShmSegmentInfo  shm;
  gsize            shm_size;     /* 0: no segment */
  tjhandle         jpeg;
};

static void
detach_segment (VivDesktopCapture *capture)
{
  if (capture->shm_size == 0)
    return;

  XShmDetach (capture->display, &capture->shm);
  shmdt (capture->shm.shmaddr);
  capture->shm_size = 0;
}

void
viv_desktop_capture_free (VivDesktopCapture *capture)
{
  /* The segment was removed at creation; detaching is all that is left, and
   * the server forgets it with the connection. */
  if (capture->shm_size != 0)
    shmdt (capture->shm.shmaddr);
  if (capture->jpeg != NULL)
    tjDestroy (capture->jpeg);
  g_free (capture);
}

static gboolean
ensure_segment (VivX  *x,
                gsize  size)
{
  VivDesktopCapture *capture = x->capture;
  int error;

  if (capture->shm_failed)
    return FALSE;
  if (capture->shm_size >= size)
    return TRUE;

  detach_segment (capture);

  capture->shm.shmid = shmget (IPC_PRIVATE, size, IPC_CREAT | 0600);
  if (capture->shm.shmid < 0)
    {
      capture->shm_failed = TRUE;
      return FALSE;
    }

  capture->shm.shmaddr = shmat (capture->shm.shmid, NULL, 0);
  /* Removed now, so it goes away with the last detach, even if we crash. */
  shmctl (capture->shm.shmid, IPC_RMID, NULL);
  if (capture->shm.shmaddr == (char *) -1)
    {
      capture->shm_failed = TRUE;
      return FALSE;
    }
  capture->shm.readOnly = False;

  /* A server in another IPC namespace cannot attach it: BadAccess. */
  viv_x_trap_push (x);
  XShmAttach (x->display, &capture->shm);
  error = viv_x_trap_pop (x);
  if (error != Success)
    {
      g_debug ("MIT-SHM attach failed (%d); using XGetImage", error);
      shmdt (capture->shm.shmaddr);
      capture->shm_failed = TRUE;
      return FALSE;
    }

  capture->shm_size = size;
  return TRUE;
}

static XImage *
grab (VivX  *x,
      int    left,
      int    top,
      int    width,
      int    height)
{
  Visual *visual = DefaultVisual (x->display, x->screen);
  unsigned int depth = DefaultDepth (x->display, x->screen);
  XImage *image;

  if (XShmQueryExtension (x->display) &&
      ensure_segment (x, (gsize) x->width * x->height * 4))
    {
      image = XShmCreateImage (x->display, visual, depth, ZPixmap, NULL, &x->capture->shm,
                               width, height);
      if (image != NULL && (gsize) image->bytes_per_line * height <= x->capture->shm_size)
        {
          Status ok;

          image->data = x->capture->shm.shmaddr;
          viv_x_trap_push (x);
          ok = XShmGetImage (x->display, x->root, image, left, top, AllPlanes);
          if (viv_x_trap_pop (x) == Success && ok)
            return image;
        }

      if (image != NULL)
        {
          image->data = NULL;
          XDestroyImage (image);
        }
    }

  return XGetImage (x->display, x->root, left, top, width, height, AllPlanes, ZPixmap);
}

static void
free_image (VivX   *x,
            XImage *image)
{
  /* Shared images point into our segment, which XDestroyImage must not free. */
  if (x->capture->shm_size != 0 && image->data == x->capture->shm.shmaddr)
    image->data = NULL;
  XDestroyImage (image);
}

/* Whether the pixels are bytes B, G, R, X in memory, as on every little-endian
 * 24-bit TrueColor server; then the encoders read them as they are. */
static gboolean
is_bgrx (XImage *image)
{
  return image->bits_per_pixel == 32 && image->byte_order == LSBFirst &&
         image->red_mask == 0xff0000 && image->green_mask == 0xff00 && image->blue_mask == 0xff;
}

static int
mask_shift (unsigned long mask)
{
  int shift = 0;

  while (mask != 0 && !(mask & 1))
    {
      mask >>= 1;
      shift++;
    }

  return shift;
}

static guint8
channel (unsigned long pixel,
         unsigned long mask)
{
  unsigned long max = mask >> mask_shift (mask);
  unsigned long value = (pixel & mask) >> mask_shift (mask);

  return max == 0 ? 0 : (guint8) (value * 255 / max);
}

/* Any other visual: the slow, general way. */
static guint8 *
to_rgb (XImage *image)
{
  guint8 *rgb = g_malloc ((gsize) image->width * image->height * 3);
  guint8 *out = rgb;

  for (int row = 0; row < image->height; row++)
    for (int column = 0; column < image->width; column++)
      {
        unsigned long pixel = XGetPixel (image, column, row);

        *out++ = channel (pixel, image->red_mask);
        *out++ = channel (pixel, image->green_mask);
        *out++ = channel (pixel, image->blue_mask);
      }

  return rgb;
}

static GBytes *
encode_png (XImage  *image,
            GError **error)
{
  g_autofree guint8 *rgb = NULL;
  GBytes *bytes;

  if (is_bgrx (image))
    bytes = viv_png_encode ((const guint8 *) image->data, image->width, image->height,
                            image->bytes_per_line, 4);
  else
    {
      rgb = to_rgb (image);
      bytes = viv_png_encode (rgb, image->width, image->height, (gsize) image->width * 3, 3);
    }

  if (bytes == NULL)
    g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                         "PNG encoding failed");

  return bytes;
}

static GBytes *
encode_jpeg (VivDesktopCapture  *capture,
             XImage             *image,
             int                 quality,
             GError            **error)
{
  g_autofree guint8 *rgb = NULL;
  unsigned char *jpeg = NULL;
  unsigned long size = 0;
  GBytes *bytes;
  int status;

  if (capture->jpeg == NULL)
    capture->jpeg = tjInitCompress ();
  if (capture->jpeg == NULL)
    {
      g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                           "Cannot start the JPEG encoder");
      return NULL;
    }

  if (is_bgrx (image))
    status = tjCompress2 (capture->jpeg, (unsigned char *) image->data, image->width,
                          image->bytes_per_line, image->height, TJPF_BGRX, &jpeg, &size,
                          TJSAMP_420, quality, TJFLAG_FASTDCT);
  else
    {
      rgb = to_rgb (image);
      status = tjCompress2 (capture->jpeg, rgb, image->width, image->width * 3, image->height,
                            TJPF_RGB, &jpeg, &size, TJSAMP_420, quality, TJFLAG_FASTDCT);
    }

  if (status != 0)
    {
      g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                   "JPEG encoding failed: %s", tjGetErrorStr2 (capture->jpeg));
      if (jpeg != NULL)
        tjFree (jpeg);
      return NULL;
    }

  bytes = g_bytes_new_with_free_func (jpeg, size, (GDestroyNotify) tjFree, jpeg);
  return bytes;
}

/* The window's rectangle on the screen, clipped to it. */
static gboolean
window_rectangle (VivX    *x,
                  Window   window,
                  int     *left,
                  int     *top,
                  int     *width,
                  int     *height,
                  GError **error)
{
  XWindowAttributes attributes;
  Window child;
  int root_x = 0, root_y = 0;
  int right, bottom;
  Status ok;

  viv_x_trap_push (x);
  ok = XGetWindowAttributes (x->display, window, &attributes);
  if (ok)
    XTranslateCoordinates (x->display, window, x->root, 0, 0, &root_x, &root_y, &child);
  if (viv_x_trap_pop (x) != Success || !ok)
    {
      g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_NOT_FOUND,
                   "No window %lu", (unsigned long) window);
      return FALSE;
    }

  if (attributes.map_state != IsViewable)
    {
      g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                   "Window %lu is not shown", (unsigned long) window);
      return FALSE;
    }

  *left = MAX (root_x, 0);
  *top = MAX (root_y, 0);
  right = MIN (root_x + attributes.width, x->width);
  bottom = MIN (root_y + attributes.height, x->height);
  if (right <= *left || bottom <= *top)
    {
      g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                   "Window %lu is outside the screen", (unsigned long) window);
      return FALSE;
    }

  *width = right - *left;
  *height = bottom - *top;
  return TRUE;
}

GBytes *
viv_desktop_capture (VivX                        *x,
                     const VivScreenshotRequest  *request,
                     GError                     **error)
{
  int left = 0, top = 0, width = x->width, height = x->height;
  XImage *image;
  GBytes *bytes;

  if (x->capture == NULL)
    {
      x->capture = g_new0 (VivDesktopCapture, 1);
      x->capture->display = x->display;
    }

  if (request->window != None)
    {
      if (!window_rectangle (x, request->window, &left, &top, &width, &height, error))
        return NULL;
    }
  else if (request->width > 0)
    {
      left = request->x;
      top = request->y;
      width = request->width;
      height = request->height;

      if (left < 0 || top < 0 || width <= 0 || height <= 0 ||
          left + width > x->width || top + height > x->height)
        {
          g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                       "The region %dx%d+%d+%d is not inside the %dx%d screen",
                       width, height, left, top, x->width, x->height);
          return NULL;
        }
    }

  image = grab (x, left, top, width, height);
  if (image == NULL)
    {
      g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                           "The X server did not give the screen's pixels");
      return NULL;
    }

  if (request->jpeg)
    bytes = encode_jpeg (x->capture, image, request->quality, error);
  else
    bytes = encode_png (image, error);

  free_image (x, image);
  return bytes;
}
