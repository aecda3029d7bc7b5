//! Reads for the collector's resolver (`_Resolver` in `assets/collector.py`),
//! which says what cache values refer to by matching live objects: walks
//! over every loaded module and every class that would cost milliseconds
//! in Python. Each gives what the collector's own loop would find, in the
//! same order, and runs no code of the objects it looks at.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFunction, PyString, PyType};

use super::function_version;

/// `{func_version: function}` of the Python functions the namespaces hold,
/// the first with each version in the order `_Resolver._scan` of the
/// collector visits them: each namespace's functions, and the functions its
/// classes hold in their own dicts (methods, what static and class methods
/// wrap, property getters). The collector asks this of every loaded
/// module to say which function a `func_version` cache entry names; done
/// here, no code of the objects looked at runs and a namespace takes
/// microseconds. Each dict is copied before it is read, as the collector's
/// `list(space.values())` does.
#[pyfunction]
pub(super) fn held_function_versions<'py>(
    py: Python<'py>,
    spaces: Vec<Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut found = FirstFound::new(py);
    for space in &spaces {
        for value in space.values().iter() {
            if value.cast::<PyFunction>().is_ok() {
                found.function(&value)?;
            } else if let Ok(class) = value.cast::<PyType>() {
                let Some(dict) = type_dict(class) else {
                    continue;
                };
                for attr in dict.values().iter() {
                    if let Some(function) = function_in(&attr) {
                        found.function(&function)?;
                    }
                }
            }
        }
    }
    Ok(found.dict)
}

/// `{version: object}`, the first object found with each version kept:
/// what the collector's loops build (the collector then lets what it
/// found before win).
struct FirstFound<'py> {
    dict: Bound<'py, PyDict>,
    seen: std::collections::HashSet<u32>,
}

impl<'py> FirstFound<'py> {
    fn new(py: Python<'py>) -> FirstFound<'py> {
        FirstFound {
            dict: PyDict::new(py),
            seen: std::collections::HashSet::new(),
        }
    }

    fn add(&mut self, version: u32, object: &Bound<'py, PyAny>) -> PyResult<()> {
        if version != 0 && self.seen.insert(version) {
            self.dict.set_item(version, object)?;
        }
        Ok(())
    }

    fn function(&mut self, candidate: &Bound<'py, PyAny>) -> PyResult<()> {
        match candidate.cast::<PyFunction>() {
            Ok(f) => self.add(function_version(f), candidate),
            Err(_) => Ok(()),
        }
    }
}

/// A class's own dict (`type.__dict__['__dict__']`, without the proxy).
fn type_dict<'py>(class: &Bound<'py, PyType>) -> Option<Bound<'py, PyDict>> {
    let py = class.py();
    // SAFETY: `class` is a live type object. 3.12+ keeps the dict of a
    // static built-in type outside it, which `PyType_GetDict` finds (and
    // returns as a new reference); before, `tp_dict` is the dict itself.
    let dict = unsafe {
        #[cfg(Py_3_12)]
        {
            Bound::from_owned_ptr_or_opt(py, pyo3::ffi::PyType_GetDict(class.as_type_ptr()))?
        }
        #[cfg(not(Py_3_12))]
        {
            Bound::from_borrowed_ptr_or_opt(py, (*class.as_type_ptr()).tp_dict)?
        }
    };
    dict.cast_into().ok()
}

/// The object a class attribute holds that may be a function, as
/// `_Resolver._functions_in` of the collector reads it: the attribute
/// itself, what a static or class method wraps, a property's getter.
fn function_in<'py>(attr: &Bound<'py, PyAny>) -> Option<Bound<'py, PyAny>> {
    use pyo3::ffi;
    if attr.cast::<PyFunction>().is_ok() {
        return Some(attr.clone());
    }
    // SAFETY: a static method, class method and property object (and any
    // instance of a subclass) starts with the object head followed by the
    // wrapped callable (`sm_callable`, `cm_callable`) or the getter
    // (`prop_get`), which may be NULL; the same in 3.11 to 3.13. The
    // pointer is borrowed, and gets its own reference here.
    unsafe {
        let ptr = attr.as_ptr();
        let wrapper = ffi::PyObject_TypeCheck(ptr, &raw mut ffi::PyStaticMethod_Type) != 0
            || ffi::PyObject_TypeCheck(ptr, &raw mut ffi::PyClassMethod_Type) != 0
            || ffi::PyObject_TypeCheck(ptr, &raw mut ffi::PyProperty_Type) != 0;
        if !wrapper {
            return None;
        }
        let field = *(ptr as *const *mut ffi::PyObject)
            .add(std::mem::size_of::<ffi::PyObject>() / std::mem::size_of::<*mut ffi::PyObject>());
        Bound::from_borrowed_ptr_or_opt(attr.py(), field)
    }
}

/// `{tp_version_tag: class}` of the classes reachable from `object`
/// through `type.__subclasses__`, the first with each version in the order
/// `_Resolver.cls` of the collector walks them (a stack: the last subclass
/// first).
#[pyfunction]
pub(super) fn subclass_versions(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let subclasses_of = py.get_type::<PyType>().getattr("__subclasses__")?;
    let mut stack = vec![py.get_type::<PyAny>()];
    let mut seen = std::collections::HashSet::new();
    let mut found = FirstFound::new(py);
    while let Some(class) = stack.pop() {
        if !seen.insert(class.as_ptr()) {
            continue;
        }
        found.add(super::type_version(&class), class.as_any())?;
        // (A class whose subclasses cannot be listed is passed over, as
        // the collector's loop does.)
        if let Ok(subclasses) = subclasses_of.call1((&class,))
            && let Ok(subclasses) = subclasses.cast_into::<pyo3::types::PyList>()
        {
            stack.extend(
                subclasses
                    .iter()
                    .filter_map(|c| c.cast_into::<PyType>().ok()),
            );
        }
    }
    Ok(found.dict)
}

/// For each module object among `modules` (each once; subclasses of the
/// module type are not looked at, as `LOAD_ATTR_MODULE` only specializes
/// for module objects), where `name` is among the string keys of its dict
/// and which `__name__` it has there: `(__name__, position)`, the position
/// counted in the dict's order. `_Resolver._modules_holding` of the
/// collector reads the entry a cache holds with it.
#[pyfunction]
pub(super) fn module_positions<'py>(
    modules: Vec<Bound<'py, PyAny>>,
    name: &str,
) -> Vec<(Bound<'py, PyString>, usize)> {
    let mut seen = std::collections::HashSet::new();
    let mut found = Vec::new();
    for module in &modules {
        // SAFETY: `PyModule_Type` is the module type of the linked
        // interpreter; `PyModule_GetDict` returns a module's dict, borrowed.
        let dict = unsafe {
            if pyo3::ffi::Py_TYPE(module.as_ptr()) != &raw mut pyo3::ffi::PyModule_Type
                || !seen.insert(module.as_ptr())
            {
                continue;
            }
            match Bound::from_borrowed_ptr_or_opt(
                module.py(),
                pyo3::ffi::PyModule_GetDict(module.as_ptr()),
            ) {
                Some(dict) => dict,
                None => continue,
            }
        };
        let Ok(dict) = dict.cast_into::<PyDict>() else {
            continue;
        };
        let (mut title, mut position) = (None, None);
        for (i, (key, value)) in dict.iter().enumerate() {
            let Ok(key) = key.cast_exact::<PyString>() else {
                continue;
            };
            let Ok(key) = key.to_str() else {
                continue;
            };
            if key == name && position.is_none() {
                position = Some(i);
            } else if key == "__name__" {
                title = Some(value);
            }
        }
        if let (Some(title), Some(position)) = (title, position)
            && let Ok(title) = title.cast_into_exact::<PyString>()
        {
            found.push((title, position));
        }
    }
    found
}
