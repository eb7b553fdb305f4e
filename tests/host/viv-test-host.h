/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "viv-test-harness.h"

G_BEGIN_DECLS

/* A real vivarium-host on free loopback ports, with its own state directory
 * and XDG_RUNTIME_DIR. */
typedef struct
{
  char        *state_dir;
  char        *runtime_dir;
  GPid         pid;
  guint        port_api;
  guint        port_sandbox;
  char        *api_key;
  SoupSession *session;
} VivTestHost;

/* @state_dir: reuse a previous host's state (adoption), or NULL for a new one. */
VivTestHost *viv_test_host_start          (const char   *state_dir,
                                           const char   *runtime_dir);
/* SIGKILL the host only: its sandboxes keep running. */
void         viv_test_host_crash          (VivTestHost  *host);
/* Kills every sandbox of the state directory, the host, and removes the dirs. */
void         viv_test_host_stop           (VivTestHost  *host);

/* A control-plane call; @key NULL sends the host's key, "" none. The body is
 * sent chunked, as the SDKs do. */
JsonNode    *viv_test_host_api            (VivTestHost         *host,
                                           const char          *method,
                                           const char          *path,
                                           const char          *json_body,
                                           const char          *key,
                                           guint               *status,
                                           SoupMessageHeaders **response_headers);
/* A request on the sandbox port routed by E2b-Sandbox-Id (NULL: no header). */
GBytes      *viv_test_host_sandbox_request (VivTestHost        *host,
                                            const char         *sandbox_id,
                                            guint               port,
                                            const char         *method,
                                            const char         *path,
                                            const char         *token,
                                            GBytes             *body,
                                            guint              *status);

/* Creates a sandbox (v2) and returns its Sandbox object; asserts 201. */
JsonObject  *viv_test_host_create         (VivTestHost  *host,
                                           const char   *json_body);
/* The sandbox's freezer cgroup directory (v1 or v2), from its record; NULL
 * when it pauses with SIGSTOP. */
char        *viv_test_host_freezer_dir    (VivTestHost  *host,
                                           const char   *sandbox_id);
/* The sandbox's v1 cgroup directory of @controller ("memory", "cpu"), from
 * its record; NULL when it has none. */
char        *viv_test_host_cgroup_dir     (VivTestHost  *host,
                                           const char   *sandbox_id,
                                           const char   *controller);
/* The pause mechanism its record names: "v1", "v2" or "sigstop". */
char        *viv_test_host_freezer        (VivTestHost  *host,
                                           const char   *sandbox_id);
/* Every process of the sandbox: its freezer cgroup's procs, or else the
 * process tree under its bwrap, walked through /proc by the test itself. */
GArray      *viv_test_host_sandbox_pids   (VivTestHost  *host,
                                           const char   *sandbox_id);
/* The pid of vivarium-guest inside the sandbox, as seen from the host. */
GPid         viv_test_host_guest_pid      (VivTestHost  *host,
                                           const char   *sandbox_id);
char        *viv_test_host_layer_path     (VivTestHost  *host,
                                           const char   *sandbox_id,
                                           const char   *path);

G_END_DECLS
