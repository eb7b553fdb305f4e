/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(VIVARIUM_INSIDE) && !defined(VIVARIUM_COMPILATION)
# error "Only <vivarium.h> can be included directly."
#endif

#include <gio/gio.h>

#include "viv-sandbox.h"

G_BEGIN_DECLS

/**
 * VivFileType:
 * @VIV_FILE_TYPE_UNKNOWN: something else
 * @VIV_FILE_TYPE_FILE: a regular file
 * @VIV_FILE_TYPE_DIRECTORY: a directory
 * @VIV_FILE_TYPE_SYMLINK: a symbolic link
 *
 * The type of a file in a sandbox (envd's `FileType`).
 */
typedef enum
{
  VIV_FILE_TYPE_UNKNOWN,
  VIV_FILE_TYPE_FILE,
  VIV_FILE_TYPE_DIRECTORY,
  VIV_FILE_TYPE_SYMLINK,
} VivFileType;

/**
 * VivFileEventType:
 * @VIV_FILE_EVENT_UNKNOWN: another change
 * @VIV_FILE_EVENT_CREATE: created
 * @VIV_FILE_EVENT_WRITE: written to
 * @VIV_FILE_EVENT_REMOVE: removed
 * @VIV_FILE_EVENT_RENAME: renamed
 * @VIV_FILE_EVENT_CHMOD: permissions changed
 *
 * What happened to a file in a watched directory (envd's `EventType`).
 */
typedef enum
{
  VIV_FILE_EVENT_UNKNOWN,
  VIV_FILE_EVENT_CREATE,
  VIV_FILE_EVENT_WRITE,
  VIV_FILE_EVENT_REMOVE,
  VIV_FILE_EVENT_RENAME,
  VIV_FILE_EVENT_CHMOD,
} VivFileEventType;

/**
 * VivProgressCallback:
 * @current: bytes transferred so far
 * @total: bytes to transfer, or -1 when not known
 * @user_data: data given with the callback
 *
 * Reports the progress of a transfer, on the caller's main context.
 */
typedef void (*VivProgressCallback) (goffset  current,
                                     goffset  total,
                                     gpointer user_data);

/**
 * VivFileEntry:
 *
 * A file in a sandbox (envd's `EntryInfo`).
 */
typedef struct _VivFileEntry VivFileEntry;

#define VIV_TYPE_FILE_ENTRY (viv_file_entry_get_type ())
GType         viv_file_entry_get_type         (void) G_GNUC_CONST;
VivFileEntry *viv_file_entry_ref              (VivFileEntry *self);
void          viv_file_entry_unref            (VivFileEntry *self);
const char   *viv_file_entry_get_name         (VivFileEntry *self);
const char   *viv_file_entry_get_path         (VivFileEntry *self);
VivFileType   viv_file_entry_get_file_type    (VivFileEntry *self);
gint64        viv_file_entry_get_size         (VivFileEntry *self);
guint         viv_file_entry_get_mode         (VivFileEntry *self);
const char   *viv_file_entry_get_permissions  (VivFileEntry *self);
const char   *viv_file_entry_get_owner        (VivFileEntry *self);
const char   *viv_file_entry_get_group        (VivFileEntry *self);
GDateTime    *viv_file_entry_get_modified_time (VivFileEntry *self);
const char   *viv_file_entry_get_symlink_target (VivFileEntry *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VivFileEntry, viv_file_entry_unref)

#define VIV_TYPE_FILES (viv_files_get_type ())
G_DECLARE_FINAL_TYPE (VivFiles, viv_files, VIV, FILES, GObject)

VivFiles     *viv_files_new               (VivSandbox           *sandbox);
VivSandbox   *viv_files_get_sandbox       (VivFiles             *self);
void          viv_files_list_async        (VivFiles             *self,
                                           const char           *path,
                                           guint                 depth,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
GPtrArray    *viv_files_list_finish       (VivFiles             *self,
                                           GAsyncResult         *result,
                                           GError              **error);
void          viv_files_stat_async        (VivFiles             *self,
                                           const char           *path,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
VivFileEntry *viv_files_stat_finish       (VivFiles             *self,
                                           GAsyncResult         *result,
                                           GError              **error);
void          viv_files_make_directory_async (VivFiles          *self,
                                           const char           *path,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
VivFileEntry *viv_files_make_directory_finish (VivFiles         *self,
                                           GAsyncResult         *result,
                                           GError              **error);
void          viv_files_move_async        (VivFiles             *self,
                                           const char           *source,
                                           const char           *destination,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
VivFileEntry *viv_files_move_finish       (VivFiles             *self,
                                           GAsyncResult         *result,
                                           GError              **error);
void          viv_files_remove_async      (VivFiles             *self,
                                           const char           *path,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gboolean      viv_files_remove_finish     (VivFiles             *self,
                                           GAsyncResult         *result,
                                           GError              **error);
void          viv_files_download_async    (VivFiles             *self,
                                           const char           *path,
                                           GOutputStream        *destination,
                                           VivProgressCallback   progress_callback,
                                           gpointer              progress_data,
                                           GDestroyNotify        progress_destroy,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gint64        viv_files_download_finish   (VivFiles             *self,
                                           GAsyncResult         *result,
                                           GError              **error);
void          viv_files_upload_async      (VivFiles             *self,
                                           const char           *path,
                                           GInputStream         *source,
                                           gint64                size,
                                           VivProgressCallback   progress_callback,
                                           gpointer              progress_data,
                                           GDestroyNotify        progress_destroy,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gboolean      viv_files_upload_finish     (VivFiles             *self,
                                           GAsyncResult         *result,
                                           GError              **error);
void          viv_files_read_bytes_async  (VivFiles             *self,
                                           const char           *path,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
GBytes       *viv_files_read_bytes_finish (VivFiles             *self,
                                           GAsyncResult         *result,
                                           GError              **error);
void          viv_files_watch_async       (VivFiles             *self,
                                           const char           *path,
                                           gboolean              recursive,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gboolean      viv_files_watch_finish      (VivFiles             *self,
                                           GAsyncResult         *result,
                                           GError              **error);

G_END_DECLS
