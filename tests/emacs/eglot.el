;;; eglot.el --- Baton through eglot in a headless Emacs  -*- lexical-binding: t -*-
;;
;;   BATON_BIN=… BATON_ROOT=…/wor-321 BATON_EXPECTED=… emacs --batch -l tests/emacs/eglot.el
;;
;; Uses the README's eglot configuration (the part Emacs 28 has: `sql-mode'; Emacs 29+ adds the
;; tree-sitter modes), opens a migration of WOR-321, waits for eglot to connect and for Baton's
;; diagnostics to reach Flymake, and checks them against `baton check' (BATON_EXPECTED: one
;; "path:line:rule" a line, lines from 0). Prints "emacs eglot: ok" or exits non-zero.

(require 'eglot)
(require 'flymake)

(defvar baton-test-bin (or (getenv "BATON_BIN") (error "BATON_BIN is not set")))
(defvar baton-test-root (file-name-as-directory (or (getenv "BATON_ROOT") (error "BATON_ROOT is not set"))))
(defvar baton-test-file "supabase/migrations/20240201000000_validation_reports.sql")

(defun baton-test-fail (fmt &rest args)
  (princ (concat "emacs eglot: FAIL: " (apply #'format fmt args) "\n") #'external-debugging-output)
  (kill-emacs 1))

(defun baton-test-wait (what predicate &optional seconds)
  "Waits up to SECONDS (20) for PREDICATE, running timers and process output."
  (let ((deadline (+ (float-time) (or seconds 20))))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.1))
    (or (funcall predicate) (baton-test-fail "timed out waiting for %s" what))))

;; The copy is no git repository: the folder itself is the project.
(add-hook 'project-find-functions (lambda (_dir) (cons 'transient baton-test-root)))

;; The README's configuration, with the binary under test.
(add-to-list 'eglot-server-programs
             `((sql-mode markdown-mode typescript-ts-mode tsx-ts-mode js-ts-mode json-ts-mode)
               . (,baton-test-bin "lsp" :initializationOptions (:trusted :json-false))))

(condition-case err
    (progn
      (find-file (expand-file-name baton-test-file baton-test-root))
      (unless (derived-mode-p 'sql-mode)
        (baton-test-fail "the migration opened in %s, not sql-mode" major-mode))
      ;; `eglot-ensure' connects from `post-command-hook', which never runs in batch mode: start
      ;; it the way `M-x eglot' does.
      (apply #'eglot (eglot--guess-contact))
      (baton-test-wait "eglot to connect" (lambda () (eglot-current-server)))
      (let ((server (eglot-current-server)))
        (unless (string-match-p "baton" (format "%s" (plist-get (eglot--server-info server) :name)))
          (baton-test-fail "connected to %S" (eglot--server-info server))))
      (flymake-start)
      (baton-test-wait "Baton's diagnostics in Flymake"
                       (lambda () (flymake-start) (flymake-diagnostics)) 30)
      (let* ((expected
              (with-temp-buffer
                (insert-file-contents (getenv "BATON_EXPECTED"))
                (let (lines)
                  (dolist (line (split-string (buffer-string) "\n" t))
                    (when (string-prefix-p (concat baton-test-file ":") line)
                      (push line lines)))
                  (sort lines #'string<))))
             (got
              (sort (mapcar (lambda (d)
                              (let ((line (1- (line-number-at-pos (flymake-diagnostic-beg d)))))
                                (format "%s:%d" baton-test-file line)))
                            (flymake-diagnostics))
                    #'string<))
             (expected-lines (mapcar (lambda (l) (mapconcat #'identity (butlast (split-string l ":")) ":"))
                                     expected)))
        (unless expected
          (baton-test-fail "baton check reported nothing for %s" baton-test-file))
        (unless (equal got expected-lines)
          (baton-test-fail "diagnostics %S, baton check says %S" got expected))
        (dolist (d (flymake-diagnostics))
          (unless (string-match-p "row level security\\|RLS" (flymake-diagnostic-text d))
            (baton-test-fail "unexpected diagnostic text: %s" (flymake-diagnostic-text d))))
        (princ (format "emacs eglot: ok (%d diagnostics, Emacs %s, eglot %s)\n"
                       (length got) emacs-version
                       (or (ignore-errors (pkg-info-version-info 'eglot)) "?"))))
      (eglot-shutdown (eglot-current-server))
      (kill-emacs 0))
  (error (baton-test-fail "%S" err)))
