/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sys/types.h>

#include "viv-guest.h"

G_BEGIN_DECLS

/* What envd keeps between requests: the environment that /init sets for new
 * processes, the default user and working directory. Shared by the plain HTTP
 * API (envd/viv-envd-http.c) and the Connect-RPC services. */
typedef struct
{
  GHashTable *env_vars;        /* name -> value, added to every process's environment */
  char       *default_user;    /* NULL: the user the guest runs as */
  char       *default_workdir; /* NULL: the user's home */
} VivEnvdState;

/* A Unix user requests act as. */
typedef struct
{
  char  *name;
  char  *home;
  char  *shell;
  uid_t  uid;
  gid_t  gid;
} VivEnvdUser;

VivEnvdState *viv_envd_state_get          (VivGuest            *guest);

/* Resolves @username (NULL or "" for the default user). When the guest runs as
 * root any user of the system can be chosen; otherwise only the guest's own.
 * Unknown users fail with G_IO_ERROR_PERMISSION_DENIED (envd's unauthenticated). */
VivEnvdUser  *viv_envd_user_lookup        (VivGuest            *guest,
                                           const char          *username,
                                           GError             **error);
/* The user named by an "Authorization: Basic base64(user:)" header, as the SDKs
 * send on RPC calls; the default user without one. */
VivEnvdUser  *viv_envd_user_from_request  (VivGuest            *guest,
                                           SoupServerMessage   *msg,
                                           GError             **error);
void          viv_envd_user_free          (VivEnvdUser         *user);

/* An absolute, normalised path: relative paths resolve against the user's home,
 * "~" and "~/..." too. Returns NULL with G_IO_ERROR_INVALID_ARGUMENT for "". */
char         *viv_envd_resolve_path       (const VivEnvdUser   *user,
                                           const char          *path,
                                           GError             **error);

/* The environment for a process of @user: the guest's, /init's variables,
 * HOME, USER, LOGNAME, SHELL and PWD, then @extra (may be NULL). */
GStrv         viv_envd_process_environment (VivGuest           *guest,
                                            const VivEnvdUser  *user,
                                            const char         *cwd,
                                            GHashTable         *extra);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VivEnvdUser, viv_envd_user_free)

G_END_DECLS
