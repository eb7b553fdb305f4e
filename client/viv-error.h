/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(VIVARIUM_INSIDE) && !defined(VIVARIUM_COMPILATION)
# error "Only <vivarium.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * VIV_ERROR:
 *
 * The error domain of libvivarium.
 */
#define VIV_ERROR (viv_error_quark ())

/**
 * VivError:
 * @VIV_ERROR_FAILED: any other failure; the message says what happened
 * @VIV_ERROR_UNAUTHENTICATED: the API key or access token was refused (HTTP 401)
 * @VIV_ERROR_PERMISSION_DENIED: the credentials do not allow this (HTTP 403)
 * @VIV_ERROR_NOT_FOUND: the sandbox, file or process does not exist (HTTP 404)
 * @VIV_ERROR_CONFLICT: the sandbox is changing state or busy (HTTP 409)
 * @VIV_ERROR_ALREADY_PAUSED: pausing a sandbox that is already paused
 * @VIV_ERROR_ALREADY_EXISTS: the file or directory already exists
 * @VIV_ERROR_LOCKED: a human holds the desktop (HTTP 423); wait for the hand-back
 * @VIV_ERROR_TIMEOUT: the sandbox or request timed out (HTTP 502/504, deadlines)
 * @VIV_ERROR_UNAVAILABLE: the server cannot be reached or is busy (HTTP 503, network errors)
 * @VIV_ERROR_RATE_LIMITED: too many requests (HTTP 429); try again later
 * @VIV_ERROR_NO_SPACE: the sandbox ran out of disk space (HTTP 507)
 * @VIV_ERROR_INVALID_ARGUMENT: the server refused the request's arguments (HTTP 400)
 * @VIV_ERROR_NOT_SUPPORTED: the server does not implement this operation
 * @VIV_ERROR_PROTOCOL: the server's answer could not be understood
 *
 * Error codes of %VIV_ERROR, chosen so that a user interface can act on
 * them. The error message is the server's own message when it sent one.
 */
typedef enum
{
  VIV_ERROR_FAILED,
  VIV_ERROR_UNAUTHENTICATED,
  VIV_ERROR_PERMISSION_DENIED,
  VIV_ERROR_NOT_FOUND,
  VIV_ERROR_CONFLICT,
  VIV_ERROR_ALREADY_PAUSED,
  VIV_ERROR_ALREADY_EXISTS,
  VIV_ERROR_LOCKED,
  VIV_ERROR_TIMEOUT,
  VIV_ERROR_UNAVAILABLE,
  VIV_ERROR_RATE_LIMITED,
  VIV_ERROR_NO_SPACE,
  VIV_ERROR_INVALID_ARGUMENT,
  VIV_ERROR_NOT_SUPPORTED,
  VIV_ERROR_PROTOCOL,
} VivError;

GQuark      viv_error_quark      (void);
const char *viv_error_get_holder (const GError *error);
GDateTime  *viv_error_get_since  (const GError *error);

G_END_DECLS
