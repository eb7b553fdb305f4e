/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(VIVARIUM_INSIDE) && !defined(VIVARIUM_COMPILATION)
# error "Only <vivarium.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * VivMetric:
 * @timestamp_unix: when it was measured, in seconds since the epoch
 * @cpu_count: the number of CPUs
 * @cpu_used_pct: CPU use in percent
 * @mem_used: memory used, in bytes
 * @mem_total: memory available, in bytes
 * @mem_cache: memory used for caches, in bytes
 * @disk_used: disk space used, in bytes
 * @disk_total: disk space available, in bytes
 *
 * One sample of a sandbox's resource use (E2B's `SandboxMetric`).
 */
typedef struct
{
  gint64 timestamp_unix;
  int    cpu_count;
  double cpu_used_pct;
  gint64 mem_used;
  gint64 mem_total;
  gint64 mem_cache;
  gint64 disk_used;
  gint64 disk_total;
} VivMetric;

#define VIV_TYPE_METRIC (viv_metric_get_type ())
GType      viv_metric_get_type (void) G_GNUC_CONST;
VivMetric *viv_metric_copy     (const VivMetric *self);
void       viv_metric_free     (VivMetric       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VivMetric, viv_metric_free)

/**
 * VivLogEntry:
 * @timestamp: (nullable): when it was logged
 * @level: (nullable): the level ("info", "warn", "error", ...)
 * @message: the text
 *
 * One line of a sandbox's log.
 */
typedef struct
{
  GDateTime *timestamp;
  char      *level;
  char      *message;
} VivLogEntry;

#define VIV_TYPE_LOG_ENTRY (viv_log_entry_get_type ())
GType        viv_log_entry_get_type (void) G_GNUC_CONST;
VivLogEntry *viv_log_entry_copy     (const VivLogEntry *self);
void         viv_log_entry_free     (VivLogEntry       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VivLogEntry, viv_log_entry_free)

G_END_DECLS
