/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sys/stat.h>

#include "viv-connect.h"

G_BEGIN_DECLS

/* filesystem.Filesystem (shared/spec/e2b-wire.md §2.4). */

typedef enum
{
  VIV_FILE_TYPE_UNSPECIFIED,
  VIV_FILE_TYPE_FILE,
  VIV_FILE_TYPE_DIRECTORY,
  VIV_FILE_TYPE_SYMLINK,
} VivFileType;

extern const char * const viv_file_type_names[4];

/* A user's identity for file system work on a worker thread. When the guest
 * runs as root, the thread's file system uid and gid and its supplementary
 * groups become the user's (setfsuid/setfsgid and the raw setgroups syscall
 * act on the calling thread only), so the kernel checks permissions exactly as
 * for the user and new files belong to them. Other threads are unaffected. */
typedef struct
{
  char  *name;
  uid_t  uid;
  gid_t  gid;
  char  *home;
} VivEnvdIdentity;

VivEnvdIdentity *viv_envd_identity_new          (const VivEnvdUser *user);
void             viv_envd_identity_free         (VivEnvdIdentity   *identity);
/* Both on the worker thread, around the work; enter returns whether it switched. */
gboolean         viv_envd_identity_enter        (const VivEnvdIdentity *identity);
void             viv_envd_identity_leave        (gboolean           switched);

/* An EntryInfo for @path (lstat, so a symlink is described itself). Thread-safe. */
JsonObject      *viv_envd_entry_info            (const char        *path,
                                                 GHashTable        *name_cache,
                                                 GError           **error);
/* A GHashTable for viv_envd_entry_info's uid/gid name lookups. */
GHashTable      *viv_envd_name_cache_new        (void);
VivFileType      viv_envd_file_type_for_mode    (mode_t             mode);
void             viv_envd_set_errno_error       (GError           **error,
                                                 int                saved_errno,
                                                 const char        *path);

void             viv_envd_filesystem_register   (VivGuest          *guest);
void             viv_envd_watch_register        (VivGuest          *guest);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VivEnvdIdentity, viv_envd_identity_free)

G_END_DECLS
