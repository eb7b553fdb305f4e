/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "viv-guest-http.h"
#include "viv-desktop-private.h"

G_BEGIN_DECLS

/* The HTTP side of the desktop API, on the main thread: handlers validate
 * the request, pause it, queue a job on the X worker and answer when it is
 * done. */

typedef struct
{
  VivGuest         *guest;
  VivDesktopWorker *worker;    /* NULL: the guest has no display */
  char             *display;
} VivDesktop;

typedef struct _VivDesktopRequest VivDesktopRequest;

/* Answers 503 and returns FALSE when there is no display. */
gboolean           viv_desktop_check_display      (VivDesktop         *desktop,
                                                   SoupServerMessage  *msg);

/* An agent action (input): checks the takeover lock (423), and publishes the
 * action with its outcome when it is answered. @action may be filled in
 * further until the request is run or failed. Returns NULL when it answered
 * already. */
VivDesktopRequest *viv_desktop_action_begin       (VivDesktop         *desktop,
                                                   SoupServerMessage  *msg,
                                                   const char         *action);
/* A query that changes nothing: no lock, no event. */
VivDesktopRequest *viv_desktop_query_begin        (VivDesktop         *desktop,
                                                   SoupServerMessage  *msg);
JsonObject        *viv_desktop_request_get_action (VivDesktopRequest  *request);
/* Answers @error (publishing the failed action) and frees @request. */
void               viv_desktop_request_fail       (VivDesktopRequest  *request,
                                                   GError             *error);
/* Queues @func on the worker; the result (JsonNode, or GBytes with
 * @content_type) becomes the answer. Takes @request. */
void               viv_desktop_request_run        (VivDesktopRequest  *request,
                                                   VivDesktopJobFunc   func,
                                                   gpointer            data,
                                                   GDestroyNotify      data_free,
                                                   const char         *content_type);
/* Answers @node with 200 (publishing the action) and frees @request. */
void               viv_desktop_request_succeed    (VivDesktopRequest  *request,
                                                   JsonNode           *node);
SoupServerMessage *viv_desktop_request_get_message (VivDesktopRequest *request);

/* Registered by each file. */
void               viv_desktop_input_register     (VivDesktop         *desktop);
void               viv_desktop_apps_register      (VivDesktop         *desktop);

G_END_DECLS
