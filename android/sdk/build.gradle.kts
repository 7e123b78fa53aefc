// The Gridline SDK as an Android library: the hand-written Kotlin layer (src/main/kotlin,
// package org.gridline.sdk), the UniFFI bindings generated into ../../target/bindings/kotlin
// (package org.gridline.sdk.ffi, never committed), and libgridline_mobile.so for each ABI,
// built by cargo-ndk into src/main/jniLibs (git-ignored).
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

val repoRoot: File = rootDir.parentFile
val generatedKotlin: File = repoRoot.resolve("target/bindings/kotlin")
val jniLibsDir: File = file("src/main/jniLibs")

android {
    namespace = "org.gridline.sdk"
    compileSdk = 35

    defaultConfig {
        minSdk = 24
    }

    sourceSets["main"].java.srcDirs("src/main/kotlin", generatedKotlin)
    sourceSets["main"].jniLibs.srcDirs(jniLibsDir)
    sourceSets["test"].java.srcDirs("src/test/kotlin")

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    testOptions {
        unitTests.all {
            it.useJUnitPlatform()
            // JVM unit tests load the host build of the library, as scripts/test-mobile does.
            it.systemProperty("jna.library.path", repoRoot.resolve("target/debug").path)
            // ServerTest needs a running server (scripts/test-mobile starts one and passes these
            // in); pass them through from `gradle -Dgridline.server=... test` as well.
            System.getProperties().filterKeys { key -> key.toString().startsWith("gridline.") }
                .forEach { (key, value) -> it.systemProperty(key.toString(), value) }
        }
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    // The @aar carries JNA's native dispatch library for every Android ABI.
    implementation("net.java.dev.jna:jna:5.17.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
    // OkHttpTransport is written against the OkHttp 3.14 API (scripts/test-mobile compiles and
    // tests it with Debian's OkHttp 3.13); see README.md before moving to OkHttp 4 or 5.
    implementation("com.squareup.okhttp3:okhttp:3.14.9")

    // JVM unit tests run on the desktop JVM: the plain JNA jar, not the Android aar.
    testImplementation("net.java.dev.jna:jna:5.17.0")
    testImplementation(kotlin("test-junit5"))
    testImplementation("org.junit.jupiter:junit-jupiter:5.11.4")
    testRuntimeOnly("org.junit.platform:junit-platform-launcher:1.11.4")
}

// Regenerate the Kotlin bindings from the host build of gridline-mobile before compiling.
val generateBindings by tasks.registering(Exec::class) {
    group = "gridline"
    description = "Generate the UniFFI Kotlin bindings (scripts/gen-bindings)."
    workingDir = repoRoot
    commandLine("scripts/gen-bindings")
}

// Build libgridline_mobile.so for each ABI with cargo-ndk into src/main/jniLibs/<abi>/.
val buildRustLibraries by tasks.registering(Exec::class) {
    group = "gridline"
    description = "Build libgridline_mobile.so for every Android ABI with cargo-ndk."
    workingDir = repoRoot
    commandLine(
        "cargo", "ndk",
        "-t", "arm64-v8a", "-t", "armeabi-v7a", "-t", "x86_64",
        "-o", jniLibsDir.path,
        "build", "--release", "-p", "gridline-mobile", "--lib",
    )
}

tasks.named("preBuild") {
    dependsOn(generateBindings, buildRustLibraries)
}
