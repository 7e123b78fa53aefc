// Gradle settings of the Gridline Android project: the SDK library (`:sdk`, the Kotlin layer
// over the generated UniFFI bindings and the Rust libraries) and the app (`:app`).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "gridline-android"
include(":sdk", ":app")
