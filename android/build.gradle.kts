// Plugin versions for every module, declared once. The Kotlin version is the one that
// scripts/test-mobile compiles and tests the SDK with on Linux (kotlin-compiler from npm).
plugins {
    id("com.android.application") version "8.7.3" apply false
    id("com.android.library") version "8.7.3" apply false
    id("org.jetbrains.kotlin.android") version "2.4.20" apply false
    id("org.jetbrains.kotlin.plugin.compose") version "2.4.20" apply false
}
