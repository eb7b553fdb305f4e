/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Real parts for tests: an Xvnc display with its VNC listener on a Unix socket,
 * and a vivarium-guest. Every child gets SIGKILL when the test process dies, so
 * a failed assertion leaves nothing running. */

typedef struct
{
  char  *tmpdir;
  int    number;
  char  *display;     /* ":N" */
  char  *vnc_socket;
  int    width;
  int    height;
  GPid   pid;
} VivTestXvnc;

typedef struct
{
  char        *tmpdir;
  char        *socket_path;
  char        *token;
  GPid         pid;
  SoupSession *session;
} VivTestGuest;

/* Tools found through the environment that tests/meson.build sets. */
const char   *viv_test_guest_binary      (void);

VivTestXvnc  *viv_test_xvnc_start        (int                  width,
                                          int                  height);
void          viv_test_xvnc_stop         (VivTestXvnc         *xvnc);

/* Starts a guest listening on a Unix socket, with a fresh access token, attached
 * to @xvnc when given; @extra_args are appended to its command line. */
VivTestGuest *viv_test_guest_start       (VivTestXvnc         *xvnc,
                                          const char * const  *extra_args);
void          viv_test_guest_stop        (VivTestGuest        *guest);
SoupSession  *viv_test_unix_session_new  (const char          *socket_path);

/* Synchronous requests to the guest, with its token unless @token is given
 * ("" sends none). */
GBytes       *viv_test_guest_request     (VivTestGuest        *guest,
                                          const char          *method,
                                          const char          *path,
                                          const char          *token,
                                          const char          *content_type,
                                          GBytes              *body,
                                          guint               *status,
                                          SoupMessageHeaders **response_headers);
/* A JSON request and its parsed answer (NULL for an empty body). */
JsonNode     *viv_test_guest_json        (VivTestGuest        *guest,
                                          const char          *method,
                                          const char          *path,
                                          const char          *json_body,
                                          guint               *status);

/* Spawns a helper program that dies with the test; stdout is returned as a pipe
 * fd when @stdout_fd is not NULL. */
GPid          viv_test_spawn             (const char * const  *argv,
                                          const char * const  *envp,
                                          int                 *stdout_fd);
void          viv_test_kill              (GPid                 pid);
/* The peak resident memory of a running process (VmHWM), in bytes. */
guint64       viv_test_peak_rss          (GPid                 pid);
/* Waits until @path exists, up to @timeout_ms; returns whether it does. */
gboolean      viv_test_wait_for_path     (const char          *path,
                                          guint                timeout_ms);

G_END_DECLS
