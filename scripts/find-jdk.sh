# shellcheck shell=bash
# Finds a JDK that can build and run Anvil. Sourced by ./anvil, bench/run and .ci/run.
#
#   anvil_find_jdk   sets ANVIL_JDK (its home) and ANVIL_JDK_VERSION and returns 0, or prints why not
#                    to stderr and returns 1.
#
# Looks, in order, at: $JAVA_HOME; `java` on PATH; /usr/libexec/java_home (macOS); then every JDK under
# /usr/lib/jvm, /opt/java, /usr/java, ~/.sdkman/candidates/java and /Library/Java/JavaVirtualMachines,
# taking the newest there. A JDK fits when its major version is ANVIL_MIN_JAVA (25) or newer and it has
# javac (Maven compiles). The version comes from the JDK's `release` file, else from `java -version`.
# ANVIL_JDK_ROOTS (space-separated glob patterns) replaces that list of folders (the tests use it).

ANVIL_MIN_JAVA=${ANVIL_MIN_JAVA:-25}

# Prints the full version of the JDK at $1 ("25.0.1", "17.0.15", "1.8.0_402"), or nothing.
anvil_jdk_version() {
    local home=$1 line v=""
    [ -x "$home/bin/java" ] || return 0
    if [ -f "$home/release" ]; then
        line=$(grep -m1 '^JAVA_VERSION=' "$home/release" 2>/dev/null || true)
        v=${line#JAVA_VERSION=}
        v=${v//\"/}
    fi
    if [ -z "$v" ]; then
        # openjdk version "25.0.1" 2025-10-21 / java version "1.8.0_402" / openjdk version "26-ea"
        line=$("$home/bin/java" -version 2>&1 | grep -m1 -i 'version "' || true)
        v=${line#*version \"}
        v=${v%%\"*}
        [ "$v" = "$line" ] && v=""
    fi
    printf '%s' "$v"
}

# Prints the major version of a full version string: 1.8.0_402 -> 8, 25.0.1 -> 25, 26-ea -> 26.
anvil_java_major() {
    local v=$1
    case $v in 1.*) v=${v#1.} ;; esac
    v=${v%%[!0-9]*}
    printf '%s' "${v:-0}"
}

# Canonical path of a folder (symlinks resolved), or nothing when it does not exist.
anvil_canonical_dir() {
    [ -d "$1" ] && (cd -P "$1" 2>/dev/null && pwd)
}

anvil_find_jdk() {
    local found="" seen=" " home v major java best="" best_major=0 best_v="" pattern dir roots
    ANVIL_JDK=""
    ANVIL_JDK_VERSION=""

    # Returns 0 when $1 is a fitting JDK (and records every JDK seen for the error message).
    _anvil_check() {
        home=$(anvil_canonical_dir "$1") || return 1
        [ -n "$home" ] || return 1
        case $seen in *" $home "*) return 1 ;; esac
        seen="$seen$home "
        v=$(anvil_jdk_version "$home")
        [ -n "$v" ] || return 1
        major=$(anvil_java_major "$v")
        if [ "$major" -lt "$ANVIL_MIN_JAVA" ]; then
            found="$found${found:+, }$home ($v)"
            return 1
        fi
        if [ ! -x "$home/bin/javac" ]; then
            found="$found${found:+, }$home ($v, a JRE without javac)"
            return 1
        fi
        return 0
    }

    if [ -n "${JAVA_HOME:-}" ] && _anvil_check "$JAVA_HOME"; then
        ANVIL_JDK=$home ANVIL_JDK_VERSION=$v
        return 0
    fi
    java=$(command -v java 2>/dev/null || true)
    if [ -n "$java" ]; then
        if command -v readlink >/dev/null 2>&1 && readlink -f "$java" >/dev/null 2>&1; then
            java=$(readlink -f "$java")
        fi
        dir=$(dirname "$(dirname "$java")")
        if [ ! -x "$dir/bin/java" ] || [ "$dir" = "/usr" ]; then
            # A stub (macOS /usr/bin/java) or an unusual layout: ask the JVM where it lives.
            dir=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.home = //p' | head -n1)
        fi
        if [ -n "$dir" ] && _anvil_check "$dir"; then
            ANVIL_JDK=$home ANVIL_JDK_VERSION=$v
            return 0
        fi
    fi
    if [ -z "${ANVIL_JDK_ROOTS:-}" ] && [ -x /usr/libexec/java_home ]; then
        dir=$(/usr/libexec/java_home -v "$ANVIL_MIN_JAVA+" 2>/dev/null || true)
        if [ -n "$dir" ] && _anvil_check "$dir"; then
            ANVIL_JDK=$home ANVIL_JDK_VERSION=$v
            return 0
        fi
    fi
    roots=${ANVIL_JDK_ROOTS:-"/usr/lib/jvm/* /opt/java/* /usr/java/* ${HOME:-/nonexistent}/.sdkman/candidates/java/* /Library/Java/JavaVirtualMachines/*/Contents/Home"}
    for pattern in $roots; do
        for dir in $pattern; do
            [ -d "$dir" ] || continue
            if _anvil_check "$dir" && [ "$major" -gt "$best_major" ]; then
                best=$home best_major=$major best_v=$v
            fi
        done
    done
    if [ -n "$best" ]; then
        ANVIL_JDK=$best ANVIL_JDK_VERSION=$best_v
        return 0
    fi
    if [ -n "$found" ]; then
        echo "anvil: found $found: Anvil needs JDK $ANVIL_MIN_JAVA or newer; install one and set JAVA_HOME to it" >&2
    else
        echo "anvil: no JDK found (looked at JAVA_HOME, java on PATH, /usr/lib/jvm, /opt/java, /usr/java, ~/.sdkman, /Library/Java): Anvil needs JDK $ANVIL_MIN_JAVA or newer; install one and set JAVA_HOME to it" >&2
    fi
    return 1
}
