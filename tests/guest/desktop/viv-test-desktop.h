/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "viv-test-harness.h"

G_BEGIN_DECLS

/* viv-xrecorder, the test X client, driven over its stdin and read line by
 * line from its stdout. */
typedef struct
{
  GSubprocess   *process;
  GOutputStream *input;
  int            output_fd;
  GString       *buffer;
  guint64        window;
} VivTestRecorder;

VivTestRecorder *viv_test_recorder_start    (VivTestXvnc      *xvnc,
                                             const char       *title,
                                             const char       *geometry);
void             viv_test_recorder_stop     (VivTestRecorder  *recorder);
/* The next line, or NULL after @timeout_ms. */
char            *viv_test_recorder_read     (VivTestRecorder  *recorder,
                                             guint             timeout_ms);
/* Skips lines until one starts with @prefix; fails the test after @timeout_ms. */
char            *viv_test_recorder_expect   (VivTestRecorder  *recorder,
                                             const char       *prefix,
                                             guint             timeout_ms);
void             viv_test_recorder_command  (VivTestRecorder  *recorder,
                                             const char       *command);
char            *viv_test_hex_encode        (const char       *text);
char            *viv_test_hex_decode        (const char       *hex);

G_END_DECLS
