# wslab — the single entry point. `make help` lists the targets.
#
# Two trees are built from the same folders:
#   ref      each .c from solutions/NN-*/ if it is there, else from stages/NN-*/
#   student  each .c from stages/NN-*/ (the student's files); the layers of
#            earlier labs come from the reference, or with OWN=1 from the
#            student's own earlier stages. Without solutions/ (a handout) every
#            lab is the student's own.
# Programs land in build/ref/NN-slug/PROG and build/student/NN-slug/PROG.

.DEFAULT_GOAL := all
SHELL := /bin/bash

# ---- configuration --------------------------------------------------------
CC ?= cc
SAN ?=
OWN ?=
LAB ?=
SRCROOT ?= .
BUILD ?= build
EXTRA_TESTS ?=

HAVE_SOLUTIONS := $(if $(wildcard $(SRCROOT)/solutions),yes,)
LABS := $(sort $(patsubst $(SRCROOT)/stages/%/lab.mk,%,$(wildcard $(SRCROOT)/stages/*/lab.mk)))
WEB_ROOT := $(abspath $(SRCROOT)/web)

CFG := $(notdir $(firstword $(CC)))$(if $(SAN),-san)
OBJ := $(BUILD)/obj/$(CFG)

WARN := -Wall -Wextra -Werror
CSTD := -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT := $(if $(SAN),-O1 $(SANITIZE),-O2)
CFLAGS_ALL = $(CSTD) $(WARN) -g $(OPT) -MMD -MP -DWSLAB_WEB_ROOT=\"$(WEB_ROOT)\" $(CFLAGS)
LDFLAGS_ALL = $(if $(SAN),$(SANITIZE)) $(LDFLAGS)

# LAB=3 → 03-framing
lab_of = $(filter $(shell printf '%02d' $(1) 2>/dev/null)-%,$(LABS))
SEL := $(if $(LAB),$(call lab_of,$(LAB)),$(LABS))
ifneq ($(LAB),)
ifeq ($(SEL),)
$(error LAB=$(LAB): no such lab; the labs are $(LABS))
endif
endif

# V=1 shows every command; by default one line per file says what is built from where.
Q := $(if $(V),,@)
say = $(if $(V),,@printf '  %-6s %s\n' $(1) $(2))

# A change of compiler, sanitizers or OWN must relink every program.
CONFIG_LINE := $(CC) san=$(SAN) own=$(OWN) extra=$(EXTRA_TESTS)
STAMP := $(BUILD)/.config
$(shell mkdir -p $(BUILD); [ "$$(cat $(STAMP) 2>/dev/null)" = "$(CONFIG_LINE)" ] || \
        echo "$(CONFIG_LINE)" > $(STAMP))

# ---- what each lab is made of ---------------------------------------------
# The labs up to and including L, in order.
lab_upto = $(shell printf '%s\n' $(LABS) | sed -n '0,/^$(1)$$/p')

define LOAD_LAB
PROGRAMS :=
LDLIBS :=
RUN :=
PAGE :=
include $(SRCROOT)/stages/$(1)/lab.mk
$(1)_PROGRAMS := $$(PROGRAMS)
$(1)_LDLIBS := $$(LDLIBS)
$(1)_RUN := $$(RUN)
$(1)_PAGE := $$(PAGE)
$$(foreach p,$$(PROGRAMS),$$(eval $(1)_$$(p)_SRCS := $$($$(p)_SRCS)))
$(1)_MAIN_SRCS := $$(foreach p,$$(PROGRAMS),$$($$(p)_SRCS))
$(1)_ALL_SRCS := $$(notdir $$(wildcard $(SRCROOT)/stages/$(1)/*.c))
$(1)_MOD_SRCS := $$(filter-out $$($(1)_MAIN_SRCS),$$($(1)_ALL_SRCS))
$(1)_TODO_SRCS := $$(notdir $$(wildcard $(SRCROOT)/solutions/$(1)/*.c))
$(1)_UPTO := $$(call lab_upto,$(1))
$(1)_EARLIER := $$(filter-out $(1),$$($(1)_UPTO))
$(1)_INC := $$(foreach l,$$($(1)_UPTO),-I$(SRCROOT)/stages/$$(l))
$(1)_TESTS := $$(wildcard $(SRCROOT)/tests/$(1)/*.c) \
              $$(if $(EXTRA_TESTS),$$(wildcard $(EXTRA_TESTS)/$(1)/*.c))
endef
$(foreach l,$(LABS),$(eval $(call LOAD_LAB,$(l))))

# Where tree T takes file F of lab L from.
src_of = $(if $(and $(filter ref,$(1)),$(wildcard $(SRCROOT)/solutions/$(2)/$(3))),$(SRCROOT)/solutions/$(2)/$(3),$(SRCROOT)/stages/$(2)/$(3))
# Which tree supplies the earlier lab E to a build of tree T.
tree_for_earlier = $(if $(filter ref,$(1)),ref,$(if $(or $(OWN),$(if $(HAVE_SOLUTIONS),,yes)),student,ref))
obj_of = $(OBJ)/$(1)/$(2)/$(3:.c=.o)
lib_of = $(OBJ)/$(1)/$(2)/lib.a
# The libraries a program of lab L in tree T links with, newest lab first.
libs_for = $(call lib_of,$(1),$(2)) $(foreach e,$(call reverse,$($(2)_EARLIER)),$(call lib_of,$(call tree_for_earlier,$(1)),$(e)))
reverse = $(if $(1),$(call reverse,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))
ldlibs_for = -lpthread $(sort $(foreach l,$($(1)_UPTO),$($(l)_LDLIBS)))

TEST_LIB_SRCS := $(wildcard $(SRCROOT)/tests/lib/*.c)
TEST_LIB_OBJS := $(patsubst $(SRCROOT)/tests/lib/%.c,$(OBJ)/tests/lib/%.o,$(TEST_LIB_SRCS))

# ---- rules, generated per tree and lab --------------------------------------
define TREE_LAB
# objects of this lab's files in tree $(1)
$(foreach f,$($(2)_ALL_SRCS),
$(call obj_of,$(1),$(2),$(f)): $(call src_of,$(1),$(2),$(f)) $(STAMP)
	@mkdir -p $$(@D)
	$$(call say,CC,$$<)
	$$(Q)$$(CC) $$(CFLAGS_ALL) $($(2)_INC) -c $$< -o $$@
)
$(call lib_of,$(1),$(2)): $(foreach f,$($(2)_MOD_SRCS),$(call obj_of,$(1),$(2),$(f)))
	@mkdir -p $$(@D)
	@rm -f $$@
	$$(Q)$$(AR) rcs $$@ $$^

$(foreach p,$($(2)_PROGRAMS),
$(BUILD)/$(1)/$(2)/$(p): $(foreach f,$($(2)_$(p)_SRCS),$(call obj_of,$(1),$(2),$(f))) $(call libs_for,$(1),$(2)) $(STAMP)
	@mkdir -p $$(@D)
	$$(call say,LINK,$$@)
	$$(Q)$$(CC) $$(LDFLAGS_ALL) -o $$@ $(foreach f,$($(2)_$(p)_SRCS),$(call obj_of,$(1),$(2),$(f))) $(call libs_for,$(1),$(2)) $(call ldlibs_for,$(2))
)
$(BUILD)/$(1)/$(2)/runtests: $(foreach t,$($(2)_TESTS),$(OBJ)/tests/$(2)/$(notdir $(t:.c=.o))) $(TEST_LIB_OBJS) $(call libs_for,$(1),$(2)) $(STAMP)
	@mkdir -p $$(@D)
	$$(call say,LINK,$$@)
	$$(Q)$$(CC) $$(LDFLAGS_ALL) -o $$@ $(foreach t,$($(2)_TESTS),$(OBJ)/tests/$(2)/$(notdir $(t:.c=.o))) $(TEST_LIB_OBJS) $(call libs_for,$(1),$(2)) $(call ldlibs_for,$(2))

$(1)-$(2): $(foreach p,$($(2)_PROGRAMS),$(BUILD)/$(1)/$(2)/$(p)) $(BUILD)/$(1)/$(2)/runtests
.PHONY: $(1)-$(2)
endef

define TEST_OBJS
$(foreach t,$($(1)_TESTS),
$(OBJ)/tests/$(1)/$(notdir $(t:.c=.o)): $(t) $(STAMP)
	@mkdir -p $$(@D)
	$$(call say,CC,$$<)
	$$(Q)$$(CC) $$(CFLAGS_ALL) $($(1)_INC) -I$(SRCROOT)/tests/lib -c $$< -o $$@
)
# The list of this lab's tests without linking any lab code (for a grade
# report when the student's code does not build).
$(BUILD)/testlist/$(1): $(foreach t,$($(1)_TESTS),$(OBJ)/tests/$(1)/$(notdir $(t:.c=.o))) $(TEST_LIB_OBJS)
	@mkdir -p $$(@D)
	$$(Q)$$(CC) $$(LDFLAGS_ALL) -no-pie -Wl,--unresolved-symbols=ignore-all -o $$@ $$^ -lpthread
endef

$(OBJ)/tests/lib/%.o: $(SRCROOT)/tests/lib/%.c $(STAMP)
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) -I$(SRCROOT)/tests/lib -c $< -o $@

$(foreach l,$(LABS),$(eval $(call TEST_OBJS,$(l))))
$(foreach t,ref student,$(foreach l,$(LABS),$(eval $(call TREE_LAB,$(t),$(l)))))

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)

# ---- the user interface ----------------------------------------------------
REF := $(if $(HAVE_SOLUTIONS),ref,student)
TOOLS := $(SRCROOT)/tests/tools
export WSLAB_LABS := $(LABS)
export BUILD SRCROOT MAKE_CMD := $(MAKE) --no-print-directory
ifneq ($(SAN),)
export ASAN_OPTIONS := detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1
endif

all: $(foreach l,$(SEL),$(REF)-$(l)) compile-commands ## build every lab's reference programs
	@$(TOOLS)/provenance.sh $(REF) $(SEL)

student: $(foreach l,$(SEL),student-$(l)) compile-commands ## build the student's programs
	@$(TOOLS)/provenance.sh student $(SEL)

$(BUILD)/tools/report: $(TOOLS)/report.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CSTD) $(WARN) -O2 -o $@ $<

test: $(foreach l,$(SEL),$(REF)-$(l)) $(BUILD)/tools/report ## all tests of all labs against the reference
	@$(TOOLS)/run-tests.sh $(REF) $(SEL)

check: need-lab ## student: build your lab LAB=N and run its tests
	@$(TOOLS)/provenance.sh student $(SEL)
	@$(MAKE) --no-print-directory student-$(SEL) compile-commands
	@$(BUILD)/student/$(SEL)/runtests --lab $(SEL) --bin-dir $(BUILD)/student/$(SEL) \
	   $(if $(ONLY),--filter $(ONLY))

grade: $(BUILD)/tools/report ## instructor: grade the student's code (LAB=N for one lab)
	@$(TOOLS)/grade.sh $(SEL)

run: need-lab student-$(SEL) ## run your server of lab LAB=N on port 8000+N
	@$(TOOLS)/run.sh student $(SEL)

demo: $(foreach l,$(LABS),$(REF)-$(l)) ## run every lab's reference server and print the URLs
	@$(TOOLS)/demo.sh $(REF)

compare: need-lab $(BUILD)/tools/report ## self-learner: your code and the reference on the same tests
	@$(TOOLS)/compare.sh $(SEL)

diff: need-lab ## self-learner: your files against the reference
	@$(TOOLS)/diff.sh $(SEL)

kit-check: $(BUILD)/tools/report ## the kit tests itself: starters fail, reference passes, mutants die
	@$(TOOLS)/kit-check.sh $(SEL)

handout: ## a student tarball without solutions/
	@$(TOOLS)/handout.sh

test-browser: $(foreach l,$(LABS),$(REF)-$(l)) ## the pages' self-tests in headless Chromium
	@$(TOOLS)/test-browser.sh $(REF)

bench: $(foreach l,$(SEL),$(REF)-$(l)) ## benchmarks, printed as a table
	@$(TOOLS)/bench.sh $(REF) $(SEL)

fuzz: ## short fuzzing runs of every parser (FUZZ_SECONDS=N each)
	@$(TOOLS)/fuzz.sh $(SEL)

format: ## reformat every C file with clang-format
	@git ls-files '*.c' '*.h' | xargs clang-format -i

format-check: ## fail if a C file is not formatted
	@git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror

compile-commands: ## build/compile_commands.json for clangd and editors
	@$(TOOLS)/compile-commands.sh "$(CC) $(CFLAGS_ALL)" > $(BUILD)/compile_commands.json.tmp && \
	   mv $(BUILD)/compile_commands.json.tmp $(BUILD)/compile_commands.json

clean: ## remove build/
	rm -rf $(BUILD)

need-lab:
	@[ -n "$(LAB)" ] || { echo "which lab? e.g. make $(MAKECMDGOALS) LAB=1" >&2; exit 2; }

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(firstword $(MAKEFILE_LIST)) | \
	   sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 24

# Internal: variables for the scripts in tests/tools.
print-%:
	@echo '$($*)'

.PHONY: all student test check grade run demo compare diff kit-check handout test-browser \
        bench fuzz format format-check compile-commands clean need-lab help
