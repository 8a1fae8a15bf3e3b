//! Memories, tables and globals of a store, read, written and grown. The operations on one
//! item take any context of the store (the instance's, or a host function's caller), so the
//! embedder and host functions share them; the handles are resolved before.

use wasmi::{AsContext, AsContextMut};
use wasmux_core::{Error, Result, Val};

use crate::externs::table_element;
use crate::store::StoreData;
use crate::values::{from_wasmi, to_wasmi};

/// Grows `memory` by `pages`; its previous size in pages, or the limit that refused it.
pub(crate) fn grow_memory(
    mut ctx: impl AsContextMut<Data = StoreData>,
    memory: wasmi::Memory,
    pages: u64,
) -> Result<u64> {
    ctx.as_context_mut().data_mut().limiter.0.take_refusal();
    memory.grow(&mut ctx, pages).map_err(|_| {
        let size = memory.size(&ctx);
        let otherwise =
            Error::InvalidArgument(format!("a memory of {size} pages cannot grow by {pages}"));
        ctx.as_context_mut().data_mut().limiter.0.take_refusal().unwrap_or(otherwise)
    })
}

/// Element `index` of `table`.
pub(crate) fn get_element(
    ctx: impl AsContext<Data = StoreData>,
    table: wasmi::Table,
    index: u64,
) -> Result<Val> {
    let store_id = ctx.as_context().data().store_id;
    match table.get(&ctx, index) {
        Some(element) => Ok(from_wasmi(&ctx, store_id, &element.into())),
        None => Err(out_of_bounds(index, table.size(&ctx))),
    }
}

/// Sets element `index` of `table` to `value`, if of its element type.
pub(crate) fn set_element(
    mut ctx: impl AsContextMut<Data = StoreData>,
    table: wasmi::Table,
    index: u64,
    value: &Val,
) -> Result<()> {
    let store_id = ctx.as_context().data().store_id;
    let value = to_wasmi(&mut ctx, store_id, value)?;
    let element = table_element(table.ty(&ctx).element(), value)?;
    table.set(&mut ctx, index, element).map_err(|_| out_of_bounds(index, table.size(&ctx)))
}

/// The value of `global`.
pub(crate) fn get_global(ctx: impl AsContext<Data = StoreData>, global: wasmi::Global) -> Val {
    let store_id = ctx.as_context().data().store_id;
    from_wasmi(&ctx, store_id, &global.get(&ctx))
}

/// Sets `global` to `value`, if it is mutable and of its type.
pub(crate) fn set_global(
    mut ctx: impl AsContextMut<Data = StoreData>,
    global: wasmi::Global,
    value: &Val,
) -> Result<()> {
    let store_id = ctx.as_context().data().store_id;
    let value = to_wasmi(&mut ctx, store_id, value)?;
    global
        .set(&mut ctx, value)
        .map_err(|e| Error::InvalidArgument(format!("setting the global: {e}")))
}

fn out_of_bounds(index: u64, size: u64) -> Error {
    Error::InvalidArgument(format!("index {index} is outside the table of {size} elements"))
}
